import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { rowsOf } from '../../shared/rows.js';
import { MESSAGE_COLUMNS } from './messages.repo.js';

/**
 * The time partitions of `messages` (created by drizzle/0003_messages_partitioned.sql), on
 * PostgreSQL and on PGlite alike (PGlite is PostgreSQL 17: the same declarative partitions).
 *
 * Rule: one partition per UTC day, `messages_pYYYYMMDD` = [day 00:00, next day 00:00), whatever
 * MESSAGE_RETENTION is: with the default 7 days that is 8 to 12 partitions (retention, the day
 * in progress, the days made ahead), few enough for the planner and fine-grained enough that
 * expired rows wait at most a day for their partition to be dropped. `messages_default` takes
 * whatever no day covers, so an insert never fails even if no node made the day ahead.
 *
 * Every node runs this (several at once is fine): changes happen inside one transaction that
 * holds an advisory lock, and each re-reads the catalog under it.
 */

/** Serialises partition changes across nodes (any value distinct from the migration lock's). */
const PARTITION_LOCK_KEY = 728_153_902;
/** Days made ahead of today: a node can be down this long before inserts reach the default. */
export const DAYS_AHEAD = 3;
/** DDL waits this long for the parent's lock, then gives up until the next pass. */
const LOCK_TIMEOUT = '5s';
const DAY_MS = 86_400_000;
const NAME = /^messages_p(\d{4})(\d{2})(\d{2})$/;

export const partitionName = (day: Date) =>
  `messages_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
const startOfDay = (t: Date) => new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS);
const dayOf = (name: string): Date | undefined => {
  const m = NAME.exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
};

export interface DayPartition {
  name: string;
  from: Date;
  to: Date;
  /** False for a partition detached by a pass that stopped before dropping it. */
  attached: boolean;
}

/** The day partitions that exist, oldest first (the default partition is not listed). */
export async function listDayPartitions(db: Db): Promise<DayPartition[]> {
  const rows = rowsOf<{ name: string; attached: boolean }>(
    await db.execute(sql`
      select c.relname as name, c.relispartition as attached
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r'
        and c.relname ~ '^messages_p[0-9]{8}$'`),
  );
  const out: DayPartition[] = [];
  for (const r of rows) {
    const from = dayOf(r.name);
    if (from)
      out.push({ name: r.name, from, to: new Date(from.getTime() + DAY_MS), attached: r.attached });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

function underLock<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PARTITION_LOCK_KEY})`);
    await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`));
    return fn(tx);
  });
}

/**
 * Makes sure the day partitions from `now`'s day to DAYS_AHEAD days later exist; answers how
 * many it created. A partition is created standalone and then ATTACHed: CREATE ... PARTITION
 * OF would take an ACCESS EXCLUSIVE lock on `messages` (blocking every read and insert), while
 * ATTACH takes SHARE UPDATE EXCLUSIVE on it (reads and inserts go on) and an exclusive one only
 * on the default partition, which it scans. Rows the default holds for that day (inserted while
 * the day was missing) move into the new partition in the same transaction.
 */
export async function ensureDayPartitions(db: Db, now = new Date(), ahead = DAYS_AHEAD) {
  const days: Date[] = [];
  for (let i = 0; i <= ahead; i++) days.push(new Date(startOfDay(now).getTime() + i * DAY_MS));
  const missing = async (q: Db) => {
    const have = new Set((await listDayPartitions(q)).filter((p) => p.attached).map((p) => p.name));
    return days.filter((d) => !have.has(partitionName(d)));
  };
  if ((await missing(db)).length === 0) return 0;
  return underLock(db, async (tx) => {
    const todo = await missing(tx);
    for (const day of todo) {
      const name = sql.identifier(partitionName(day));
      const from = day.toISOString();
      const to = new Date(day.getTime() + DAY_MS).toISOString();
      // Left behind detached (never by this code, but by hand): attach it again, with its rows.
      // `including generated`: a partition's `search` must be generated like the parent's
      // (drizzle/0006), and the move names its columns, as a generated one takes no value.
      await tx.execute(
        sql`create table if not exists ${name} (like messages including defaults including constraints including generated)`,
      );
      await tx.execute(sql`
        with moved as (
          delete from messages_default
          where created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz
          returning ${MESSAGE_COLUMNS})
        insert into ${name} (${MESSAGE_COLUMNS}) select ${MESSAGE_COLUMNS} from moved`);
      await tx.execute(
        sql`alter table messages attach partition ${name} for values from (${sql.raw(`'${from}'`)}) to (${sql.raw(`'${to}'`)})`,
      );
    }
    return todo.length;
  });
}

/**
 * Drops the day partitions that end at or before `cutoff` (every row in them is past
 * retention): DETACH in a short transaction, then DROP. Non-concurrent DETACH (CONCURRENTLY is
 * not allowed beside a default partition) takes an ACCESS EXCLUSIVE lock on `messages`, but
 * only for a catalog change; the DROP, which unlinks the files, no longer involves `messages`.
 * A partition left detached by a pass that stopped in between is dropped by the next one.
 * Answers the names dropped.
 */
export async function dropDayPartitionsBefore(db: Db, cutoff: Date): Promise<string[]> {
  const expired = (await listDayPartitions(db)).filter((p) => p.to.getTime() <= cutoff.getTime());
  const dropped: string[] = [];
  for (const p of expired) {
    const name = sql.identifier(p.name);
    await underLock(db, async (tx) => {
      const now = (await listDayPartitions(tx)).find((q) => q.name === p.name);
      if (now?.attached) await tx.execute(sql`alter table messages detach partition ${name}`);
    });
    await underLock(db, (tx) => tx.execute(sql`drop table if exists ${name}`));
    dropped.push(p.name);
  }
  return dropped;
}

/**
 * Deletes up to `batch` rows of the DEFAULT partition older than `cutoff` (rows that had no day
 * partition when stored, or older than the migration's 31 days): the only rows retention
 * deletes one by one. Rows of the day partition that straddles the cutoff stay until their
 * whole day is past it and the partition is dropped (at most a day); reads hide them already.
 */
export async function purgeDefaultPartition(db: Db, cutoff: Date, batch: number): Promise<number> {
  const gone = await db.execute(sql`
    delete from messages_default
    where ctid = any(array(
      select ctid from messages_default where created_at < ${cutoff.toISOString()}::timestamptz
      limit ${batch}))
    returning 1 as n`);
  return rowsOf(gone).length;
}
