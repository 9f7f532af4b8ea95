import { readdir } from 'node:fs/promises';
import type { Command } from './command.js';

const COMMANDS_DIR = new URL('./commands/', import.meta.url);
/** `serve` first: it is what most people came for; the rest in alphabetical order. */
const FIRST = ['serve'];

/**
 * Every command in `commands/` (compiled `.js` in dist/, `.ts` when run from source), each
 * module's default export. A file is a command: nothing else needs to list it.
 */
export async function loadCommands(): Promise<Command[]> {
  const files = (await readdir(COMMANDS_DIR)).filter(
    (f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'),
  );
  const commands = await Promise.all(
    files.map(async (f) => {
      const mod = (await import(new URL(f, COMMANDS_DIR).href)) as { default?: Command };
      if (!mod.default?.name) throw new Error(`cli/commands/${f} has no default-exported command`);
      return mod.default;
    }),
  );
  const rank = (c: Command) => (FIRST.includes(c.name) ? FIRST.indexOf(c.name) : FIRST.length);
  return commands.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}
