import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Ctx } from '../lib/context.js';
import { createBenchDatabase, dropBenchDatabase } from '../lib/postgres.js';

const TASK_BENCH = path.resolve('bench/tasks.ts');

/** What `bench/tasks.ts` may return from `runTaskBench`: one row per measure. */
interface TaskRow {
  measure: string;
  value: number;
  note?: string;
}

function isRows(v: unknown): v is TaskRow[] {
  return (
    Array.isArray(v) &&
    v.every((r) => typeof r === 'object' && r !== null && 'measure' in r && 'value' in r)
  );
}

/**
 * Tasks at 100,000 rows belong to the tasks module: when `bench/tasks.ts` exports
 * `runTaskBench({ quick, log })` returning `[{ measure, value, note? }]`, it runs here.
 */
export async function runTasks(ctx: Ctx): Promise<void> {
  if (!existsSync(TASK_BENCH)) {
    ctx.log('tasks: not available (bench/tasks.ts does not exist)');
    ctx.add({
      scenario: 'tasks',
      measure: 'not available',
      values: {},
      note: 'bench/tasks.ts does not exist',
    });
    return;
  }
  const mod = (await import(pathToFileURL(TASK_BENCH).href)) as { runTaskBench?: unknown };
  if (typeof mod.runTaskBench !== 'function') {
    ctx.log('tasks: bench/tasks.ts exports no runTaskBench');
    return;
  }
  const run = mod.runTaskBench as (o: object) => Promise<unknown>;
  // It boots its own in-process node (seeding 100,000 rows through REST would take minutes),
  // so it runs unpinned inside this process: PGlite at 100,000 tasks, then PostgreSQL at
  // 1,000,000 (quick: 10,000 and 100,000).
  const add = (scenario: string, rows: unknown) => {
    if (!isRows(rows)) return;
    for (const r of rows) {
      ctx.add({
        scenario,
        measure: r.measure,
        values: { OrgHub: r.value },
        ...(r.note && { note: r.note }),
      });
    }
  };
  const log = (m: string) => ctx.log(`  ${m}`);
  add('tasks (PGlite)', await run({ quick: ctx.quick, log }));
  const db = await createBenchDatabase();
  if ('reason' in db) {
    ctx.log(`tasks: PostgreSQL skipped: ${db.reason}`);
    ctx.add({ scenario: 'tasks (PostgreSQL)', measure: 'skipped', values: {}, note: db.reason });
    return;
  }
  const size = ctx.quick ? 100_000 : 1_000_000;
  try {
    add(
      `tasks (PostgreSQL, ${size.toLocaleString('en-US')})`,
      await run({ quick: ctx.quick, log, size, databaseUrl: db.url }),
    );
  } finally {
    await dropBenchDatabase(db.url);
  }
}
