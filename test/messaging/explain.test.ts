import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDayPartitions } from '../../src/modules/messages/messages.partitions.js';
import { listAscending, listNewest } from '../../src/modules/messages/messages.repo.js';
import { createOrg, startApp, type TestApp } from '../helpers/app.js';

const SIZE = 200_000;
const DAY = 86_400_000;

/**
 * Seeds one group with 200,000 messages over the last 10 days (a day partition each) and
 * checks with EXPLAIN that history reads use the partitions' indexes (no sequential scan of a
 * day partition) and skip the days they cannot need: every read filters by retention, so days
 * before the cutoff are pruned, and a time range reads only its own days. PostgreSQL only, as
 * test/tasks/explain.test.ts (the embedded planner is the same one).
 */
describe.runIf(process.env['DATABASE_URL'])('message history at 200,000 messages', () => {
  let t: TestApp;
  let pool: pg.Pool;
  let orgId: string;
  const groupId = 'big';
  const notBefore = new Date(Date.now() - 7 * DAY);
  const day = (n: number) => new Date(Math.floor(Date.now() / DAY) * DAY + n * DAY);
  const partition = (d: Date) => `messages_p${d.toISOString().slice(0, 10).replaceAll('-', '')}`;

  beforeAll(async () => {
    // The app's own retention pass must not drop the old days this test reads plans of.
    t = await startApp({ config: { messageRetentionMs: 30 * DAY } });
    orgId = (await createOrg(t)).id;
    const db = t.app.database.db;
    await ensureDayPartitions(db, day(-10), 11);
    pool = new pg.Pool({ connectionString: t.databaseUrl!, max: 2 });
    await pool.query(
      `insert into groups (org_id, id, name, last_seq) values ($1, $2, 'Big', $3),
                      ($1, 'small', 'Small', 1000)`,
      [orgId, groupId, SIZE],
    );
    // Seq g is stored at (10 days ago + g steps): oldest first, like real traffic.
    await pool.query(
      `insert into messages (id, org_id, group_id, seq, user_id, username, client_msg_id,
                             content, created_at)
       select gen_random_uuid(), $1, $2, g, null, 'bot', 'k' || g, 'message ' || g,
              now() - interval '10 days' + g * ($3::float8 / $4) * interval '1 millisecond'
       from generate_series(1, $4::int) g`,
      [orgId, groupId, 10 * DAY - 60_000, SIZE],
    );
    await pool.query(
      `insert into messages (id, org_id, group_id, seq, user_id, username, content, created_at)
       select gen_random_uuid(), $1, 'small', g, null, 'bot', 'small ' || g,
              now() - interval '10 days' + g * interval '10 minutes'
       from generate_series(1, 1000) g`,
      [orgId],
    );
    await db.execute(sql`analyze messages`);
  }, 180_000);
  afterAll(async () => {
    await pool?.end();
    await t?.close();
  });

  const explain = async (q: { sql: string; params: unknown[] }) => {
    const res = await pool.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, q.params);
    return res.rows.map((r) => r['QUERY PLAN']).join('\n');
  };
  const partitionsIn = (plan: string) => [...new Set(plan.match(/messages_p\d{8}/g) ?? [])].sort();
  const expectIndexed = (plan: string) => {
    expect(plan).toMatch(/Index (Only )?Scan/);
    // Empty partitions (the days ahead, the default) may be "scanned": they have no pages.
    for (let d = -10; d <= 0; d++) expect(plan).not.toContain(`Seq Scan on ${partition(day(d))}`);
  };
  const db = () => t.app.database.db;

  it('the newest page and pages before a seq: an index, no day before retention', async () => {
    for (const beforeSeq of [undefined, SIZE - 5000]) {
      const plan = await explain(
        listNewest(db(), orgId, groupId, { notBefore, limit: 50, beforeSeq }).toSQL(),
      );
      expectIndexed(plan);
      for (const d of [-10, -9, -8]) expect(plan).not.toContain(partition(day(d)));
      expect(partitionsIn(plan)).toContain(partition(day(-7)));
    }
  });

  it('a resume after since_seq and an after_seq page: an index, no day before retention', async () => {
    for (const afterSeq of [SIZE - 100, 150_000]) {
      const plan = await explain(
        listAscending(db(), orgId, groupId, { notBefore, limit: 1000, afterSeq }).toSQL(),
      );
      expectIndexed(plan);
      for (const d of [-10, -9, -8]) expect(plan).not.toContain(partition(day(d)));
    }
  });

  it('a time range reads only the days it covers', async () => {
    const from = new Date(day(-3).getTime() + 3_600_000);
    const to = new Date(from.getTime() + 2 * 3_600_000);
    const plan = await explain(
      listAscending(db(), orgId, groupId, {
        notBefore,
        limit: 50,
        createdFrom: from,
        createdTo: to,
      }).toSQL(),
    );
    expectIndexed(plan);
    expect(partitionsIn(plan)).toEqual([partition(day(-3))]);
    expect(plan).not.toContain('messages_default');
  });

  it('the duplicate check by (user, client_msg_id) probes an index of each partition', async () => {
    const plan = (
      await pool.query<{ 'QUERY PLAN': string }>(
        `explain select id from messages
         where org_id = $1 and group_id = $2 and user_id = $3 and client_msg_id = $4`,
        [orgId, groupId, '00000000-0000-0000-0000-000000000000', 'k12345'],
      )
    ).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expectIndexed(plan);
    expect(plan).toContain(`${partition(day(-10))}_org_id_group_id_user_id_client_msg_id_idx`);
  });

  it('a lookup by id uses the (id, created_at) key of each partition', async () => {
    const plan = (
      await pool.query<{ 'QUERY PLAN': string }>(`explain select * from messages where id = $1`, [
        '00000000-0000-0000-0000-000000000000',
      ])
    ).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expectIndexed(plan);
    expect(plan).toContain(`${partition(day(-10))}_id_created_at_idx`);
  });
});
