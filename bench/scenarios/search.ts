import type { Ctx } from '../lib/context.js';
import { createBenchDatabase, dropBenchDatabase } from '../lib/postgres.js';
import { runSearchBench, type SearchBenchRow } from '../search.js';

/**
 * Search over history (bench/search.ts): PGlite at 100,000 messages, then PostgreSQL at
 * 1,000,000 (quick: 10,000 and 100,000), each in its own in-process node.
 */
export async function runSearch(ctx: Ctx): Promise<void> {
  const add = (scenario: string, rows: SearchBenchRow[]) => {
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
  add('search (PGlite)', await runSearchBench({ quick: ctx.quick, log }));
  const db = await createBenchDatabase();
  if ('reason' in db) {
    ctx.log(`search: PostgreSQL skipped: ${db.reason}`);
    ctx.add({ scenario: 'search (PostgreSQL)', measure: 'skipped', values: {}, note: db.reason });
    return;
  }
  const size = ctx.quick ? 100_000 : 1_000_000;
  try {
    add(
      `search (PostgreSQL, ${size.toLocaleString('en-US')})`,
      await runSearchBench({ quick: ctx.quick, log, size, databaseUrl: db.url }),
    );
  } finally {
    await dropBenchDatabase(db.url);
  }
}
