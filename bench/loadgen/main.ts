import { Generator } from './generator.js';
import type { Command, Reply } from './protocol.js';

/**
 * The load generator process. The bench runner forks it (pinned to its own core) and drives it
 * over IPC; it exits when told to, or as soon as its parent goes away, so it never outlives a run.
 */
if (!process.send) {
  process.stderr.write('bench/loadgen: run me from bench/run.ts (needs an IPC channel)\n');
  process.exit(2);
}

const gen = new Generator();
const reply = (r: Reply) => process.send?.(r);

async function handle(cmd: Command): Promise<unknown> {
  switch (cmd.cmd) {
    case 'connect':
      return gen.connect(cmd);
    case 'run':
      return gen.run(cmd);
    case 'reconnect':
      return gen.reconnect(cmd);
    case 'status':
      return gen.status();
    case 'closeAll':
      gen.closeAll();
      return null;
    case 'exit':
      gen.closeAll();
      setTimeout(() => process.exit(0), 50);
      return null;
  }
}

process.on('message', (cmd: Command) => {
  handle(cmd).then(
    (result) => reply({ id: cmd.id, ok: true, result } as Reply),
    (err: Error) => reply({ id: cmd.id, ok: false, error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
