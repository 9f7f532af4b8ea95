import type { Ctx } from '../lib/context.js';
import { createBenchDatabase, dropBenchDatabase } from '../lib/postgres.js';

/** One row of an in-process bench (bench/tasks.ts, bench/search.ts). */
export interface InProcessRow {
  measure: string;
  value: number;
  note?: string;
}

export type InProcessBench = (o: {
  quick: boolean;
  log: (line: string) => void;
  size?: number;
  databaseUrl?: string;
}) => Promise<InProcessRow[]>;

/**
 * Runs a bench that boots its own in-process node (seeding through REST would take minutes):
 * on PGlite at its default size, then on a scratch PostgreSQL database at 1,000,000 rows
 * (quick: 100,000), unpinned inside this process.
 */
export async function onBothDatabases(ctx: Ctx, name: string, run: InProcessBench): Promise<void> {
  const add = (scenario: string, rows: InProcessRow[]) => {
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
  add(`${name} (PGlite)`, await run({ quick: ctx.quick, log }));
  const db = await createBenchDatabase();
  if ('reason' in db) {
    ctx.log(`${name}: PostgreSQL skipped: ${db.reason}`);
    ctx.add({ scenario: `${name} (PostgreSQL)`, measure: 'skipped', values: {}, note: db.reason });
    return;
  }
  const size = ctx.quick ? 100_000 : 1_000_000;
  try {
    add(
      `${name} (PostgreSQL, ${size.toLocaleString('en-US')})`,
      await run({ quick: ctx.quick, log, size, databaseUrl: db.url }),
    );
  } finally {
    await dropBenchDatabase(db.url);
  }
}
