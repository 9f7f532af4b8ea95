import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Runs the built CLI (`node dist/cli/main.js`, what `npx orghub` runs) as a real process. */

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Where {
  dataDir: string;
  databaseUrl: string | undefined;
}

/** The environment of a command on `where`: only what the test gives, never the caller's. */
export function cliEnv(where: Where, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    DATA_DIR: where.dataDir,
    ...(where.databaseUrl && { DATABASE_URL: where.databaseUrl }),
    ...extra,
  };
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    // A command that never reads its input (`--help`) may exit before this write lands: the
    // EPIPE that follows is no failure of the command, and unhandled it failed a whole run.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });
}
