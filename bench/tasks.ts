import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { latencies, statementP99, timedGet, withBenchNode } from './lib/in-process.js';

/**
 * The org task list at size: seeds 100,000 tasks (10,000 with `quick`) in one org with one
 * `INSERT … SELECT generate_series`, then times each query shape over HTTP (sequential
 * requests, so the numbers are latencies, not throughput) and reports p50/p99.
 *
 * It boots its own in-process node rather than the runner's server: seeding 100,000 rows
 * through the REST API would take minutes, and the embedded database belongs to one process.
 * PGlite by default; `TASK_BENCH_DATABASE_URL` runs it on PostgreSQL (a scratch database).
 */
export interface TaskBenchOptions {
  quick?: boolean;
  log?: (line: string) => void;
  /** Ignored (see above); accepted so the runner can pass its usual options. */
  base?: string;
  adminToken?: string;
  /** Tasks to seed (default 100,000; quick 10,000). */
  size?: number;
  /** A scratch PostgreSQL database to run on (default: TASK_BENCH_DATABASE_URL, else PGlite). */
  databaseUrl?: string;
}

export interface TaskBenchRow {
  measure: string;
  value: number;
  note?: string;
}

export async function runTaskBench(opts: TaskBenchOptions = {}): Promise<TaskBenchRow[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const size = opts.size ?? (opts.quick ? 10_000 : 100_000);
  const runs = opts.quick ? 20 : 100;
  const databaseUrl = opts.databaseUrl ?? process.env['TASK_BENCH_DATABASE_URL'];
  return withBenchNode(
    { databaseUrl, tag: 'taskbench' },
    async ({ app, base, orgId, userIds, token }) => {
      const db = app.database.db;
      const idArray = sql`array[${sql.join(
        userIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}]`;
      log(`tasks: seeding ${size.toLocaleString('en')} tasks (${app.database.driver})`);
      const t0 = performance.now();
      await db.execute(sql`
      insert into tasks (org_id, user_id, created_by, title, description, status, priority,
                         priority_rank, due_date, created_at, updated_at)
      select ${orgId}, (${idArray})[1 + g % 4], (${idArray})[1 + (g / 4) % 4],
             'Task ' || g || ' ' || (array['deploy','report','budget','review','design','migrate'])[1 + g % 6]
               || case when g % 500 = 0 then ' kubernetes' else '' end || ' w' || (g % 1000),
             'notes about ' || (array['invoice','customer','release','security'])[1 + g % 4],
             (array['pending','in_progress','completed','cancelled'])[1 + (g / 7) % 4],
             (array['low','medium','high','urgent'])[1 + (g / 3) % 4],
             1 + (g / 3) % 4,
             case when g % 5 = 0 then null else now() + ((g % 2000) - 1000) * interval '1 hour' end,
             now() - g * interval '1 second',
             now() - (g % 7000) * interval '1 second'
      from generate_series(1, ${size}::int) g`);
      await db.execute(sql`analyze tasks`);
      const seedSec = (performance.now() - t0) / 1000;
      log(`tasks: seeded in ${seedSec.toFixed(1)} s`);

      const shapes: Array<[string, string]> = [
        ['default (-created_at)', ''],
        ['status list', 'status=pending,in_progress'],
        ['priority -priority', 'priority=urgent,high&sort=-priority'],
        ['user + due_date', `user_id=${userIds[1]}&sort=due_date`],
        ['overdue', 'overdue=true&sort=due_date'],
        [
          'due window',
          `due_after=${new Date().toISOString()}&due_before=${new Date(Date.now() + 86_400_000 * 7).toISOString()}`,
        ],
        ['combined', `status=pending&priority=urgent&user_id=${userIds[2]}&overdue=true`],
        ['search (ranked)', 'q=w123'],
        ['search common word', 'q=deploy'],
        ['search common word, page 3', 'q=deploy&pages=3'],
        ['search phrase', 'q=%22deploy%20w12%22'],
        ['search common word by due date', 'q=deploy&sort=due_date'],
        ['search typo (trgm)', 'q=kubernetse'],
        ['page 5 (-updated_at)', 'sort=-updated_at&pages=5'],
      ];
      let commonP99 = 0;
      const rows: TaskBenchRow[] = [
        { measure: `seed ${size} tasks (s)`, value: +seedSec.toFixed(1) },
      ];
      for (const [name, query] of shapes) {
        const pages = /pages=(\d+)/.exec(query);
        const q = query.replace(/&?pages=\d+/, '');
        const { p50, p99, n } = await latencies(runs, async (times) => {
          let cursor: string | null = null;
          for (let p = 0; p < (pages ? Number(pages[1]) : 1); p++) {
            const url: string = `${base}/api/v1/orgs/${orgId}/tasks?${q}${cursor ? `&cursor=${cursor}` : ''}`;
            cursor = (await timedGet(url, token, times)).next_cursor ?? null;
          }
        });
        log(`tasks: ${name.padEnd(24)} p50 ${p50} ms  p99 ${p99} ms`);
        rows.push({ measure: `${name} p50 (ms)`, value: p50, note: `${n} requests` });
        rows.push({ measure: `${name} p99 (ms)`, value: p99 });
        if (name === 'search common word') commonP99 = p99;
      }
      // The baseline, in this run: ranking EVERY match of the common word, as the listing did
      // before it ranked bounded tiers (one statement, straight to the database).
      const rankAll = sql`
      select id from tasks
      where org_id = ${orgId} and search @@ websearch_to_tsquery('english', 'deploy')
      order by ts_rank(search, websearch_to_tsquery('english', 'deploy')) desc, id desc
      limit 51`;
      const beforeP99 = await statementP99(Math.min(runs, 30), () => db.execute(rankAll));
      log(`tasks: ${'rank every match (before)'.padEnd(24)} p99 ${beforeP99} ms`);
      rows.push({
        measure: 'search common word, ranking every match (the former query) p99 (ms)',
        value: beforeP99,
        note: `baseline in this run; tiers: ${(commonP99 / beforeP99).toFixed(2)}× of it`,
      });
      return rows;
    },
  );
}

// Run on its own: `npx tsx bench/tasks.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const sized = process.argv.find((a) => a.startsWith('--size='));
  runTaskBench({
    quick: process.argv.includes('--quick'),
    ...(sized && { size: Number(sized.slice('--size='.length)) }),
  }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
