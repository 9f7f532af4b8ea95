import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Ctx } from './lib/context.js';
import { LoadGen } from './lib/loadgen-client.js';
import { distOlderThanSrc, distProblem } from './lib/orghub.js';
import { installExitHandlers, tasksetAvailable } from './lib/procs.js';
import { renderTable } from './lib/table.js';
import { runDrain } from './scenarios/drain.js';
import { runFanout } from './scenarios/fanout.js';
import { runIdle } from './scenarios/idle.js';
import { runIngest } from './scenarios/ingest.js';
import { runMultiNode } from './scenarios/multinode.js';
import { runSearch } from './scenarios/search.js';
import { runStorm } from './scenarios/storm.js';
import { runTasks } from './scenarios/tasks.js';

/**
 * `npm run bench [-- --quick] [-- --only=<scenario>]`: runs the scenarios in order against
 * OrgHub, a bare ws relay and Socket.IO on 127.0.0.1, and prints one table. Every child process
 * is killed by PID when the run ends, fails or is interrupted.
 */
const SCENARIOS: Record<string, (ctx: Ctx) => Promise<void>> = {
  fanout: runFanout,
  idle: runIdle,
  ingest: runIngest,
  multinode: runMultiNode,
  storm: runStorm,
  drain: runDrain,
  tasks: runTasks,
  search: runSearch,
};

function parseArgs(argv: string[]) {
  let quick = false;
  let only: string[] | undefined;
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a.startsWith('--only=')) only = a.slice('--only='.length).split(',');
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        `usage: npm run bench -- [--quick] [--only=${Object.keys(SCENARIOS).join(',')}]\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  for (const name of only ?? []) {
    if (!SCENARIOS[name])
      throw new Error(`unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  return { quick, only };
}

async function main() {
  installExitHandlers();
  const { quick, only } = parseArgs(process.argv.slice(2));
  const problem = distProblem();
  if (problem) throw new Error(problem);
  if (distOlderThanSrc()) {
    process.stdout.write(
      'note: src/ is newer than dist/: `npm run build` to bench the latest code\n',
    );
  }
  const started = new Date();
  const header = [
    `OrgHub bench ${quick ? '(--quick) ' : ''}${started.toISOString()}`,
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    tasksetAvailable
      ? 'pinning: servers on core 0, load generator on core 1 (taskset)'
      : 'pinning: taskset not found, processes are not pinned',
    ...(process.env.BENCH_DIST ? [`OrgHub build: ${process.env.BENCH_DIST} (BENCH_DIST)`] : []),
  ];
  process.stdout.write(`${header.join('\n')}\n\n`);

  const gen = LoadGen.start();
  const ctx = new Ctx(quick, gen);
  const failures: string[] = [];
  try {
    for (const [name, run] of Object.entries(SCENARIOS)) {
      if (only && !only.includes(name)) continue;
      ctx.log(`== ${name}`);
      try {
        await run(ctx);
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
        ctx.log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  } finally {
    await ctx.close().catch((err: Error) => ctx.log(`cleanup: ${err.message}`));
    await gen.exit();
  }
  const table = renderTable(ctx.rows);
  const elapsed = ((Date.now() - started.getTime()) / 1000).toFixed(0);
  const footer = [
    `finished in ${elapsed} s, load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    ...failures.map((f) => `FAILED ${f}`),
  ];
  const report = `${header.join('\n')}\n\n${table}\n\n${footer.join('\n')}\n`;
  process.stdout.write(`\n${table}\n\n${footer.join('\n')}\n`);
  mkdirSync('.bench-data', { recursive: true });
  writeFileSync(`.bench-data/last-run${quick ? '-quick' : ''}.md`, report);
  // The rows as data, for bench/ab.ts (medians over alternating runs of two builds).
  writeFileSync(`.bench-data/last-run${quick ? '-quick' : ''}.json`, JSON.stringify(ctx.rows));
  process.exit(failures.length ? 1 : 0);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});
