import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzleLite } from 'drizzle-orm/pglite';
import { migrate as migrateLite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, openPostgres, type Database, type Db } from '../../src/db/database.js';
import { MIGRATIONS } from '../../src/db/database-types.js';
import * as schema from '../../src/db/schema.js';
import {
  dropDayPartitionsBefore,
  ensureDayPartitions,
  listDayPartitions,
  partitionName,
} from '../../src/modules/messages/messages.partitions.js';
import { startPurgeJob } from '../../src/modules/messages/messages.purge.js';
import { insertMessages, type NewMessage } from '../../src/modules/messages/messages.repo.js';
import { rowsOf } from '../../src/shared/rows.js';
import { dropDatabase, freshDatabase } from '../helpers/app.js';
import { adminPool, testDatabaseUrl, withDatabase } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';

const DAY = 86_400_000;
const today = () => new Date(Math.floor(Date.now() / DAY) * DAY);
const dayPlus = (n: number, ms = 0) => new Date(today().getTime() + n * DAY + ms);
const backend = testDatabaseUrl() ? 'PostgreSQL' : 'PGlite';

const query = async <T>(db: Db, q: ReturnType<typeof sql>) => rowsOf<T>(await db.execute(q));

const msg = (createdAt: Date, clientMsgId: string | null, userId: string = USER): NewMessage => ({
  id: randomUUID(),
  userId,
  username: 'alice',
  clientId: null,
  clientMsgId,
  content: `at ${createdAt.toISOString()}`,
  createdAt,
});
const USER = randomUUID();

async function newGroup(db: Db): Promise<{ orgId: string; groupId: string }> {
  const orgId = `o-${randomUUID().slice(0, 8)}`;
  const groupId = 'general';
  await db.execute(sql`insert into orgs (id, name) values (${orgId}, ${orgId})`);
  await db.execute(sql`insert into groups (org_id, id, name) values (${orgId}, ${groupId}, 'G')`);
  return { orgId, groupId };
}

/** Which partition holds each message id. */
async function placement(db: Db, orgId: string): Promise<Map<string, string>> {
  const rows = await query<{ id: string; part: string }>(
    db,
    sql`select id, tableoid::regclass::text as part from messages where org_id = ${orgId}`,
  );
  return new Map(rows.map((r) => [r.id, r.part]));
}

describe(`messages partitioned by day (${backend})`, () => {
  let where: Awaited<ReturnType<typeof freshDatabase>>;
  let database: Database;
  let db: Db;
  const open = (url: string | undefined) =>
    url
      ? openPostgres(url, { poolSize: 4, statementTimeoutMs: 30_000 })
      : openPglite(path.join(where.dataDir, 'pg'));

  beforeAll(async () => {
    where = await freshDatabase();
    database = await open(where.databaseUrl);
    db = database.db;
    await ensureDayPartitions(db);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    if (where) await dropDatabase(where);
  });

  it('has a partition for today and the next days, and a default one', async () => {
    const names = (await listDayPartitions(db)).map((p) => p.name);
    for (let i = 0; i <= 3; i++) expect(names).toContain(partitionName(dayPlus(i)));
    const [kind] = await query<{ strategy: string; has_default: boolean }>(
      db,
      sql`select p.partstrat as strategy, p.partdefid <> 0 as has_default
          from pg_partitioned_table p where p.partrelid = 'messages'::regclass`,
    );
    expect(kind).toEqual({ strategy: 'r', has_default: true });
    // Idempotent: a second run creates nothing.
    expect(await ensureDayPartitions(db)).toBe(0);
  });

  it('a retry across a partition boundary is the original: nothing new stored', async () => {
    const { orgId, groupId } = await newGroup(db);
    const [first] = await insertMessages(db, orgId, groupId, [msg(dayPlus(2, -100), 'k-boundary')]);
    const [retry] = await insertMessages(db, orgId, groupId, [msg(dayPlus(2, 100), 'k-boundary')]);
    expect(first!.created).toBe(true);
    expect(retry).toEqual({ row: first!.row, created: false });
    const where = await placement(db, orgId);
    expect([...where.values()]).toEqual([partitionName(dayPlus(1))]);
    // A batch that repeats it among new ones, on the other side of the boundary.
    const batch = await insertMessages(db, orgId, groupId, [
      msg(dayPlus(2, 200), 'k-new'),
      msg(dayPlus(2, 200), 'k-boundary'),
    ]);
    expect(batch.map((r) => [r!.row.seq, r!.created])).toEqual([
      [2, true],
      [1, false],
    ]);
  });

  it('an insert for a day without a partition lands in the default one, and moves when the day is made', async () => {
    const { orgId, groupId } = await newGroup(db);
    const far = dayPlus(40, 5000);
    const [r] = await insertMessages(db, orgId, groupId, [msg(far, null)]);
    expect((await placement(db, orgId)).get(r!.row.id)).toBe('messages_default');
    expect(await ensureDayPartitions(db, far, 0)).toBe(1);
    expect((await placement(db, orgId)).get(r!.row.id)).toBe(partitionName(dayPlus(40)));
  });

  it('retention drops the days wholly past the cutoff, keeps the straddling one, and deletes old rows of the default partition', async () => {
    const { orgId, groupId } = await newGroup(db);
    // Days -10 .. -5 get partitions; a row 20 days old stays in the default partition.
    const stored = await insertMessages(db, orgId, groupId, [
      msg(dayPlus(-20, 1000), null),
      msg(dayPlus(-10, 1000), null),
      msg(dayPlus(-9, 1000), null),
      msg(dayPlus(-7, 1000), null),
      msg(dayPlus(-7, DAY - 1000), null),
      msg(dayPlus(-5, 1000), null),
      msg(dayPlus(0, 1000), null),
    ]);
    expect(await ensureDayPartitions(db, dayPlus(-10), 5)).toBe(6);
    const before = await placement(db, orgId);
    expect(before.get(stored[0]!.row.id)).toBe('messages_default');
    expect(before.get(stored[1]!.row.id)).toBe(partitionName(dayPlus(-10)));

    // The cutoff falls at noon of day -7: that day straddles it.
    const retentionMs = 7 * DAY - DAY / 2 + (Date.now() % DAY);
    const purge = startPurgeJob(db, { retentionMs, everyMs: 3_600_000 });
    const result = await purge.runOnce();
    await purge.stop();
    expect(result.partitions).toEqual([-10, -9, -8].map((d) => partitionName(dayPlus(d))));
    expect(result.rows).toBeGreaterThanOrEqual(1); // the 20-day-old row (and any other test's)
    const after = await placement(db, orgId);
    expect([...after.keys()].sort()).toEqual(
      stored
        .slice(3)
        .map((s) => s!.row.id)
        .sort(),
    );
    const names = (await listDayPartitions(db)).map((p) => p.name);
    expect(names).not.toContain(partitionName(dayPlus(-8)));
    expect(names).toContain(partitionName(dayPlus(-7)));
    // Dropped tables are gone, not just detached.
    const [left] = await query<{ n: number }>(
      db,
      sql`select count(*)::int as n from pg_class where relname = ${partitionName(dayPlus(-9))}`,
    );
    expect(left!.n).toBe(0);
    expect(await dropDayPartitionsBefore(db, new Date(Date.now() - retentionMs))).toEqual([]);
  });

  describe.runIf(testDatabaseUrl())('several nodes on one PostgreSQL', () => {
    it('make the same partitions at once without error or duplicate', async () => {
      const others = await Promise.all([open(where.databaseUrl), open(where.databaseUrl)]);
      try {
        const at = dayPlus(60);
        const made = await Promise.all(
          [db, ...others.map((o) => o.db)].map((d) => ensureDayPartitions(d, at, 3)),
        );
        expect(made.reduce((a, b) => a + b, 0)).toBe(4);
        const names = (await listDayPartitions(db)).map((p) => p.name);
        for (let i = 0; i <= 3; i++) expect(names).toContain(partitionName(dayPlus(60 + i)));
      } finally {
        await Promise.all(others.map((o) => o.close()));
      }
    });

    it('a retry racing its original across a partition boundary is stored once', async () => {
      const { orgId, groupId } = await newGroup(db);
      const original = msg(dayPlus(2, -50), 'k-race');
      let retried: ReturnType<typeof insertMessages> | undefined;
      // The original's transaction holds the group row lock while the retry (another node,
      // the next day's partition) starts: its snapshot cannot see the original.
      await db.transaction(async (tx) => {
        const [stored] = await insertMessages(tx, orgId, groupId, [original]);
        expect(stored!.created).toBe(true);
        retried = insertMessages(db, orgId, groupId, [msg(dayPlus(2, 50), 'k-race')]);
        await until(async () => {
          const [w] = await query<{ n: number }>(
            tx,
            sql`select count(*)::int as n from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'`,
          );
          return w!.n > 0;
        });
      });
      const [again] = await retried!;
      expect(again!.created).toBe(false);
      expect(again!.row.id).toBe(original.id);
      const [n] = await query<{ n: number }>(
        db,
        sql`select count(*)::int as n from messages where org_id = ${orgId}`,
      );
      expect(n!.n).toBe(1);
      const [g] = await query<{ last_seq: string }>(
        db,
        sql`select last_seq from groups where org_id = ${orgId}`,
      );
      expect(Number(g!.last_seq)).toBe(1);
    });
  });
});

/**
 * The conversion: a database at migration 0001 (messages unpartitioned) with rows is migrated
 * to the latest schema; every row, seq and idempotency key survives, on both backends.
 */
describe(`migration 0003 converts an existing messages table (${backend})`, () => {
  let folder: string;
  let bare: { db: Db; migrate(dir: string): Promise<void>; close(): Promise<void> };

  beforeAll(async () => {
    // The migrations folder as it was before 0003: the same files, a shorter journal.
    folder = await mkdtemp(path.join(os.tmpdir(), 'orghub-mig-'));
    await cp(MIGRATIONS, folder, { recursive: true });
    const journalPath = path.join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
      entries: Array<{ tag: string }>;
    };
    journal.entries = journal.entries.filter((e) => e.tag < '0003');
    await writeFile(journalPath, JSON.stringify(journal));

    const url = testDatabaseUrl();
    if (url) {
      const name = `orghub_mig_${randomUUID().slice(0, 8)}`;
      const admin = adminPool(url);
      await admin.query(`create database ${name}`);
      await admin.end();
      const pool = new pg.Pool({ connectionString: withDatabase(url, name), max: 2 });
      const d = drizzlePg({ client: pool, schema });
      bare = {
        db: d as unknown as Db,
        migrate: (dir) => migratePg(d, { migrationsFolder: dir }),
        close: async () => {
          await pool.end();
          const a = adminPool(url);
          await a.query(`drop database if exists ${name} with (force)`);
          await a.end();
        },
      };
    } else {
      const client = await PGlite.create({ extensions: { pg_trgm } });
      const d = drizzleLite({ client, schema });
      bare = {
        db: d as unknown as Db,
        migrate: (dir) => migrateLite(d, { migrationsFolder: dir }),
        close: () => client.close(),
      };
    }
  }, 120_000);
  afterAll(async () => {
    await bare?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('keeps every row, seq and idempotency key, each in its day', async () => {
    const { db } = bare;
    await bare.migrate(folder);
    const [kind] = await query<{ relkind: string }>(
      db,
      sql`select relkind from pg_class where relname = 'messages'`,
    );
    expect(kind!.relkind).toBe('r'); // a plain table before 0003

    const orgId = 'o-mig';
    await db.execute(sql`insert into orgs (id, name) values (${orgId}, 'M')`);
    await db.execute(sql`insert into groups (org_id, id, name, last_seq) values
      (${orgId}, 'a', 'A', 300), (${orgId}, 'b', 'B', 300)`);
    // 600 messages from 45 days ago to tomorrow, every other one with a client_msg_id.
    await db.execute(sql`
      insert into messages (id, org_id, group_id, seq, user_id, username, client_id,
                            client_msg_id, content, created_at)
      select gen_random_uuid(), ${orgId}, case when g % 2 = 0 then 'a' else 'b' end,
             (g + 1) / 2, ${USER}::uuid, 'alice', 'c1',
             case when g % 2 = 0 then 'k' || g end, 'm' || g,
             now() - interval '45 days' + g * interval '110 minutes'
      from generate_series(1, 600) g`);
    const dump = sql`select id, org_id, group_id, seq::text, user_id, username, client_id,
                            client_msg_id, content, created_at::text
                     from messages order by id`;
    const before = await query<Record<string, unknown>>(db, dump);
    expect(before).toHaveLength(600);

    await bare.migrate(MIGRATIONS);

    const [after] = await query<{ relkind: string }>(
      db,
      sql`select relkind from pg_class where relname = 'messages'`,
    );
    expect(after!.relkind).toBe('p');
    expect(await query<Record<string, unknown>>(db, dump)).toEqual(before);
    // Rows of the last 31 days are in their day's partition, older ones in the default one.
    const misplaced = await query<{ n: number }>(
      db,
      sql`select count(*)::int as n from messages
          where tableoid::regclass::text <> case
            when created_at < (now() at time zone 'UTC')::date - 31 then 'messages_default'
            else 'messages_p' || to_char(created_at at time zone 'UTC', 'YYYYMMDD') end`,
    );
    expect(misplaced[0]!.n).toBe(0);
    const [inDefault] = await query<{ n: number }>(
      db,
      sql`select count(*)::int as n from messages_default`,
    );
    expect(inDefault!.n).toBeGreaterThan(0);

    // The keys still dedupe, wherever their original is; seqs go on from 300.
    const [dup, fresh] = await insertMessages(db, orgId, 'a', [
      msg(new Date(), 'k2'),
      msg(new Date(), 'k-new'),
    ]);
    expect(dup!.created).toBe(false);
    expect(dup!.row.seq).toBe(1);
    expect(fresh!.row.seq).toBe(301);
  });
});
