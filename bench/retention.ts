import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { MIGRATIONS, type Db } from '../src/db/database-types.js';
import * as schema from '../src/db/schema.js';
import { startPurgeJob } from '../src/modules/messages/messages.purge.js';

/**
 * `DATABASE_URL=postgres://… npx tsx bench/retention.ts [rows]`: retention of a messages table
 * of `rows` (default 500,000) spread over the last 10 days with MESSAGE_RETENTION 7d, before and
 * after partitioning. Before: the schema of migration 0001 and the batched row delete the purge
 * job ran until 0003 (500 ids per statement). After: the same rows converted by migration 0003
 * (timed too), then one pass of the purge job (drops the expired days). Uses two databases of
 * its own on that server and drops them.
 */
const ROWS = Number(process.argv[2] ?? 500_000);
const DAY = 86_400_000;
const url = process.env['DATABASE_URL'];
if (!url) throw new Error('DATABASE_URL must name a PostgreSQL server');

const at = (db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};
const admin = new pg.Pool({ connectionString: at('postgres'), max: 1 });

async function before0003(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orghub-bench-mig-'));
  await cp(MIGRATIONS, dir, { recursive: true });
  const file = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(file, 'utf8')) as { entries: Array<{ tag: string }> };
  journal.entries = journal.entries.filter((e) => e.tag < '0003');
  await writeFile(file, JSON.stringify(journal));
  return dir;
}

async function seeded(name: string, old: string) {
  await admin.query(`create database ${name}`);
  const pool = new pg.Pool({ connectionString: at(name), max: 2 });
  const db = drizzle({ client: pool, schema });
  await migrate(db, { migrationsFolder: old });
  await pool.query(`insert into orgs (id, name) values ('o', 'O')`);
  await pool.query(
    `insert into groups (org_id, id, name) select 'o', 'g' || i, 'G' from generate_series(0, 9) i`,
  );
  const t0 = performance.now();
  await pool.query(
    `insert into messages (id, org_id, group_id, seq, user_id, username, client_msg_id, content, created_at)
     select gen_random_uuid(), 'o', 'g' || (g % 10), g / 10 + 1, gen_random_uuid(), 'bot', 'k' || g,
            repeat('x', 100), now() - interval '10 days' + g * ($1::float8 / $2) * interval '1 ms'
     from generate_series(1, $2::int) g`,
    [10 * DAY - 60_000, ROWS],
  );
  await pool.query('vacuum analyze messages');
  const seedMs = performance.now() - t0;
  return { pool, db, seedMs };
}

const ms = (n: number) => `${(n / 1000).toFixed(2)} s`;

async function main() {
  const old = await before0003();
  const a = `orghub_bench_ret_${randomUUID().slice(0, 6)}`;
  const b = `orghub_bench_ret_${randomUUID().slice(0, 6)}`;
  try {
    // Before: row deletes, as the purge job did with an unpartitioned table.
    const A = await seeded(a, old);
    const cutoff = new Date(Date.now() - 7 * DAY);
    let deleted = 0;
    const t1 = performance.now();
    for (;;) {
      const r = await A.pool.query(
        `delete from messages where id in (select id from messages where created_at < $1 limit 500)`,
        [cutoff],
      );
      deleted += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < 500) break;
    }
    const rowDeleteMs = performance.now() - t1;
    await A.pool.end();

    // After: migration 0003, then one pass of the partition-dropping purge job.
    const B = await seeded(b, old);
    const t2 = performance.now();
    await migrate(B.db, { migrationsFolder: MIGRATIONS });
    const migrateMs = performance.now() - t2;
    const expired = await B.pool.query<{ n: string }>(
      `select count(*) as n from messages where created_at < now() - interval '7 days'`,
    );
    const job = startPurgeJob(B.db as unknown as Db, { retentionMs: 7 * DAY, everyMs: 3_600_000 });
    const t3 = performance.now();
    const result = await job.runOnce();
    const dropMs = performance.now() - t3;
    await job.stop();
    await B.pool.end();

    console.log(`rows: ${ROWS} over 10 days, retention 7d`);
    console.log(`before (row deletes, batches of 500): ${deleted} rows in ${ms(rowDeleteMs)}`);
    console.log(`migration 0003 (copy into partitions): ${ms(migrateMs)}`);
    console.log(
      `after (one pass): ${result.partitions.length} partitions dropped (${expired.rows[0]!.n} rows expired, ` +
        `straddling day kept), ${result.rows} rows deleted one by one, in ${ms(dropMs)}`,
    );
  } finally {
    for (const name of [a, b]) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await rm(old, { recursive: true, force: true });
  }
}

await main();
