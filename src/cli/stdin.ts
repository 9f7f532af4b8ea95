import { createInterface } from 'node:readline';
import { usageError } from './command.js';

/** The first line of standard input (a password piped in), without its line ending. */
export async function readSecretLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input: stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw usageError('standard input was empty: pipe the password in');
}
