import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { ensureDayPartitions } from '../src/modules/messages/messages.partitions.js';
import { latencies, statementP99, timedGet, withBenchNode } from './lib/in-process.js';

/**
 * Search over history at size: seeds 1,000,000 messages on PostgreSQL (100,000 on PGlite;
 * quick: a tenth) over the last 6 days in 20 groups of one org with one `INSERT … SELECT
 * generate_series`, then times each query shape over HTTP (sequential requests: latencies)
 * and reports p50/p99; the baseline in the same run is ranking every match of the common
 * word in one statement (what a search without tiers does).
 */
export interface SearchBenchRow {
  measure: string;
  value: number;
  note?: string;
}

export async function runSearchBench(opts: {
  quick?: boolean;
  log?: (line: string) => void;
  size?: number;
  databaseUrl?: string;
}): Promise<SearchBenchRow[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const size = opts.size ?? (opts.quick ? 10_000 : 100_000);
  const runs = opts.quick ? 20 : 100;
  return withBenchNode(
    { databaseUrl: opts.databaseUrl, tag: 'searchbench' },
    async ({ app, base, orgId, userIds, token }) => {
      const db = app.database.db;
      const groups = 20;
      for (let g = 0; g < groups; g++) {
        await db.execute(sql`insert into groups (org_id, id, name, last_seq)
          values (${orgId}, ${`g${g}`}, ${`g${g}`}, ${Math.ceil(size / groups)})`);
      }
      log(`search: seeding ${size.toLocaleString('en')} messages (${app.database.driver})`);
      const t0 = performance.now();
      // A common word in a sixth of the messages of every group, a rare one in 1 of 2,000 (all
      // in g7), and a tail of 997 distinct words; oldest first, as real traffic, each day in
      // its own partition as a node running for those days would have made them.
      await ensureDayPartitions(db, new Date(Date.now() - 6 * 86_400_000), 7);
      await db.execute(sql`
        insert into messages (id, org_id, group_id, seq, user_id, username, content, created_at)
        select gen_random_uuid(), ${orgId}, 'g' || (g % ${groups}), g / ${groups} + 1,
               ${userIds[0]}::uuid, 'bench0',
               'message ' || g || ' about the '
                 || (array['deploy','report','budget','review','design','migrate'])[1 + (g / ${groups}) % 6]
                 || case when g % 2000 = 7 then ' on kubernetes' else '' end
                 || ' w' || (g % 997) || ' and some more words to make it a chat line',
               now() - interval '6 days' + g * (${6 * 86_400_000 - 60_000}::float8 / ${size}) * interval '1 millisecond'
        from generate_series(1, ${size}::int) g`);
      // As autovacuum leaves it: VACUUM merges the GIN pending lists the bulk insert filled.
      await db.execute(sql`vacuum analyze messages`);
      const seedSec = (performance.now() - t0) / 1000;
      log(`search: seeded in ${seedSec.toFixed(1)} s`);
      const rows: SearchBenchRow[] = [
        { measure: `seed ${size} messages (s)`, value: +seedSec.toFixed(1) },
      ];
      const shapes: Array<[string, string]> = [
        ['rare word', 'q=kubernetes'],
        ['common word', 'q=deploy'],
        ['common word, page 3', 'q=deploy&pages=3'],
        ['phrase', `q=${encodeURIComponent('"about the deploy"')}`],
        ['tail word', 'q=w123'],
        ['common word in one group', 'q=deploy&group_id=g7'],
        [
          'common word, a day back',
          `q=deploy&before=${new Date(Date.now() - 86_400_000).toISOString()}`,
        ],
      ];
      let commonP99 = 0;
      for (const [name, query] of shapes) {
        const pages = /pages=(\d+)/.exec(query);
        const q = query.replace(/&?pages=\d+/, '');
        const { p50, p99, n } = await latencies(runs, async (times) => {
          let cursor: string | null = null;
          for (let p = 0; p < (pages ? Number(pages[1]) : 1); p++) {
            const url: string = `${base}/api/v1/orgs/${orgId}/messages/search?${q}${cursor ? `&cursor=${cursor}` : ''}`;
            cursor = (await timedGet(url, token, times)).next_cursor ?? null;
          }
        });
        log(`search: ${name.padEnd(26)} p50 ${p50} ms  p99 ${p99} ms`);
        rows.push({ measure: `${name} p50 (ms)`, value: p50, note: `${n} requests` });
        rows.push({ measure: `${name} p99 (ms)`, value: p99 });
        if (name === 'common word') commonP99 = p99;
      }
      const rankAll = sql`
        select id from messages
        where org_id = ${orgId} and search @@ websearch_to_tsquery('english', 'deploy')
        order by ts_rank(search, websearch_to_tsquery('english', 'deploy')) desc,
                 created_at desc
        limit 21`;
      const beforeP99 = await statementP99(Math.min(runs, 10), () => db.execute(rankAll));
      log(`search: ${'rank every match (baseline)'.padEnd(26)} p99 ${beforeP99} ms`);
      rows.push({
        measure: 'common word, ranking every match (baseline) p99 (ms)',
        value: beforeP99,
        note: `baseline in this run; tiers: ${(commonP99 / beforeP99).toFixed(2)}× of it`,
      });
      return rows;
    },
  );
}

// Run on its own: `npx tsx bench/search.ts [--quick] [--size=N]` (SEARCH_BENCH_DATABASE_URL: PostgreSQL).
if (import.meta.url === `file://${process.argv[1]}`) {
  const sized = process.argv.find((a) => a.startsWith('--size='));
  runSearchBench({
    quick: process.argv.includes('--quick'),
    ...(sized && { size: Number(sized.slice('--size='.length)) }),
    ...(process.env['SEARCH_BENCH_DATABASE_URL'] && {
      databaseUrl: process.env['SEARCH_BENCH_DATABASE_URL'],
    }),
  }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
