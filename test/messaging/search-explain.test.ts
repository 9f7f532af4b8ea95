import pg from 'pg';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST, type Position } from '../../src/db/relevance-tiers.js';
import { ensureDayPartitions } from '../../src/modules/messages/messages.partitions.js';
import {
  searchMessages,
  searchStatement,
  type MessageSearch,
} from '../../src/modules/messages/messages.search.js';
import { createOrg, startApp, type TestApp } from '../helpers/app.js';

const SIZE = 200_000;
const DAY = 86_400_000;

/**
 * Seeds one org with 200,000 messages over the last 6 days in 4 groups and checks with EXPLAIN
 * that a search reads an index for every query shape, a rare word from the full-text index and
 * a common one along (org_id, created_at, id), never a sequential scan of a day partition.
 * PostgreSQL only, as the other EXPLAIN suites (the embedded planner is the same one).
 */
describe.runIf(process.env['DATABASE_URL'])('message search at 200,000 messages', () => {
  let t: TestApp;
  let pool: pg.Pool;
  let orgId: string;
  const groupIds = ['g0', 'g1', 'g2', 'g3'];
  const day = (n: number) => new Date(Math.floor(Date.now() / DAY) * DAY + n * DAY);
  const partition = (d: Date) => `messages_p${d.toISOString().slice(0, 10).replaceAll('-', '')}`;

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    const other = (await createOrg(t)).id;
    const db = t.app.database.db;
    await ensureDayPartitions(db, day(-7), 8);
    pool = new pg.Pool({ connectionString: t.databaseUrl!, max: 2 });
    for (const org of [orgId, other]) {
      for (const [i, g] of groupIds.entries()) {
        await pool.query(
          `insert into groups (org_id, id, name, last_seq) values ($1, $2, $2, $3)`,
          [org, g, SIZE / 4 + i],
        );
      }
    }
    const seed = `
      insert into messages (id, org_id, group_id, seq, user_id, username, content, created_at)
      select gen_random_uuid(), $1, 'g' || (g % 4), g / 4 + 1, null, 'bot',
             'message ' || g || ' about the '
               || (array['deploy','report','budget','review','design','migrate'])[1 + g % 6]
               || case when g % 1000 = 0 then ' on kubernetes' else '' end
               || ' w' || (g % 997),
             now() - interval '6 days' + g * ($2::float8 / $3) * interval '1 millisecond'
      from generate_series(1, $3::int) g`;
    await pool.query(seed, [orgId, 6 * DAY - 60_000, SIZE]);
    await pool.query(seed, [other, 6 * DAY - 60_000, 20_000]);
    // As autovacuum leaves it: VACUUM also merges the GIN pending lists the bulk insert filled
    // (a manual ANALYZE does not), which the planner would otherwise cost as read in full.
    await db.execute(sql`vacuum analyze messages`);
  }, 240_000);
  afterAll(async () => {
    await pool?.end();
    await t?.close();
  });

  const search = (q: string): MessageSearch => ({
    orgId,
    groupIds,
    q,
    notBefore: new Date(Date.now() - 7 * DAY),
  });
  const dialect = new PgDialect();
  const explain = async (s: MessageSearch, pos: Position = FIRST) => {
    const q = dialect.sqlToQuery(searchStatement(s, pos, 21));
    const res = await pool.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, q.params);
    return res.rows.map((r) => r['QUERY PLAN']).join('\n');
  };
  const noSeqScan = (plan: string) => {
    for (let d = -6; d <= 0; d++) expect(plan).not.toContain(`Seq Scan on ${partition(day(d))}`);
  };

  it('a rare word and a phrase read the full-text index; a common word walks the newest', async () => {
    const rare = await explain(search('kubernetes'));
    expect(rare).toMatch(/Bitmap Index Scan on messages_p\d{8}_search_idx/);
    noSeqScan(rare);
    const phrase = await explain(search('"about the deploy" kubernetes'));
    expect(phrase).toMatch(/messages_p\d{8}_search_idx/);
    noSeqScan(phrase);
    const common = await explain(search('deploy'));
    expect(common).toMatch(/Index Scan Backward using messages_p\d{8}_org_id_created_at_id_idx/);
    noSeqScan(common);
    // With filters too.
    const filtered = await explain({
      ...search('review'),
      userId: '00000000-0000-0000-0000-000000000000',
      createdBefore: day(-1),
      createdAfter: day(-4),
    });
    expect(filtered).toMatch(/Index/);
    noSeqScan(filtered);
  });

  it('later tiers of a common word walk on from the tier edge, and a page is one tier', async () => {
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (let page = 0; page < 30; page++) {
      const res = await searchMessages(t.app.database.db, search('deploy'), 20, cursor);
      expect(res.messages).toHaveLength(20);
      for (const m of res.messages) seen.add(m.id);
      cursor = res.nextCursor ?? undefined;
    }
    expect(seen.size).toBe(600);
    const later = JSON.parse(Buffer.from(cursor!, 'base64url').toString()) as Position;
    expect(later.t?.[2]).toBe('lt');
    const plan = await explain(search('deploy'), later);
    expect(plan).toMatch(/org_id_created_at_id_idx/);
    noSeqScan(plan);
  });
});
