import { and, asc, count, desc, eq, gt, gte, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { groups, messages, orgBroadcasts, type MessageRow } from '../../db/schema.js';
import { rowsOf } from '../../shared/rows.js';

export type BroadcastRow = typeof orgBroadcasts.$inferSelect;

export interface NewMessage {
  id: string;
  userId: string | null;
  username: string;
  clientId: string | null;
  clientMsgId: string | null;
  content: string;
  createdAt: Date;
}

/** Stores one message: `insertMessages` with a batch of one. */
export async function insertMessage(
  db: Db,
  orgId: string,
  groupId: string,
  m: NewMessage,
): Promise<InsertResult | undefined> {
  const [result] = await insertMessages(db, orgId, groupId, [m]);
  return result;
}

export type InsertResult = { row: MessageRow; created: boolean };

/** The columns a message row is written with: every one but the generated `search`. */
export const MESSAGE_COLUMNS = sql.raw(
  'id, org_id, group_id, seq, user_id, username, client_id, client_msg_id, content, created_at',
);

/** A message row as a raw statement returns it (snake_case names, driver types). */
export type RawMessage = {
  id: string;
  org_id: string;
  group_id: string;
  seq: unknown;
  user_id: string | null;
  username: string;
  client_id: string | null;
  client_msg_id: string | null;
  content: string;
  created_at: unknown;
};

// node-postgres answers bigint as a string and timestamptz as a Date; PGlite may differ.
export const fromRaw = (r: RawMessage): MessageRow => ({
  id: r.id,
  orgId: r.org_id,
  groupId: r.group_id,
  seq: Number(r.seq),
  userId: r.user_id,
  username: r.username,
  clientId: r.client_id,
  clientMsgId: r.client_msg_id,
  content: r.content,
  createdAt: r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at)),
});

/**
 * Stores several messages of ONE group in ONE statement (a group commit): one UPDATE takes
 * the group's row lock and a contiguous seq range, one multi-row INSERT uses it, in input
 * order. A `(user, client_msg_id)` already stored, or repeated earlier in the same batch, takes
 * no seq and comes back as the original row with `created: false`. Answers one entry per
 * input, in input order; `undefined` entries when the group does not exist.
 *
 * Idempotency without a unique index. `messages` is partitioned by created_at, and a unique
 * index there must include created_at, so it could not stop a retry (stored later, perhaps in
 * the next day's partition) from being stored twice. Instead the duplicate check is made
 * complete by the group row lock that every insert of the group takes:
 *
 * - The statement reads the group's last_seq in its snapshot (`snap`) and bumps it only WHERE
 *   it is still that value once the lock is held (READ COMMITTED re-checks the WHERE against
 *   the newest row version after waiting for the lock). Every stored message raised last_seq
 *   in its own transaction, so an unchanged last_seq proves that no message of the group was
 *   committed after the snapshot was taken: the duplicate check (`old`), which reads that
 *   snapshot through the non-unique idempotency index of every partition, saw them all; and
 *   nobody can commit one until this statement's transaction ends. One round trip, as before.
 * - If another writer committed to the group in between (only ever another node: this one
 *   sends one statement per group at a time), nothing is stored and the statement says so;
 *   it is then run again in a transaction that first locks the group row, so its snapshot is
 *   taken under the lock and the check cannot fail (`insertLocked`).
 */
export async function insertMessages(
  db: Db,
  orgId: string,
  groupId: string,
  batch: readonly NewMessage[],
): Promise<Array<InsertResult | undefined>> {
  const first = await insertStatement(db, orgId, groupId, batch);
  if (first !== 'raced') return first;
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select 1 from groups where org_id = ${orgId} and id = ${groupId} for no key update`,
    );
    const again = await insertStatement(tx, orgId, groupId, batch);
    // Unreachable: under the lock the snapshot's last_seq is the current one.
    if (again === 'raced') throw new Error('group last_seq changed under its row lock');
    return again;
  });
}

async function insertStatement(
  db: Db,
  orgId: string,
  groupId: string,
  batch: readonly NewMessage[],
): Promise<Array<InsertResult | undefined> | 'raced'> {
  const input = JSON.stringify(
    batch.map((m, ord) => ({
      ord,
      id: m.id,
      user_id: m.userId,
      username: m.username,
      client_id: m.clientId,
      client_msg_id: m.clientMsgId,
      content: m.content,
      created_at: m.createdAt.toISOString(),
    })),
  );
  const cols = MESSAGE_COLUMNS;
  const nulls = sql.raw(
    'null::uuid, null::text, null::text, null::bigint, null::uuid, null::text, null::text, null::text, null::text, null::timestamptz',
  );
  // The row with ord -1 is the marker "the group exists but moved on since the snapshot".
  const result = await db.execute(sql`
    with input as (
      select * from json_to_recordset(${input}::json) as t(
        ord int, id uuid, user_id uuid, username text, client_id text, client_msg_id text,
        content text, created_at timestamptz)
    ), snap as (
      select last_seq from groups where org_id = ${orgId} and id = ${groupId}
    ), old as (
      select i.ord, m.id, m.org_id, m.group_id, m.seq, m.user_id, m.username, m.client_id,
             m.client_msg_id, m.content, m.created_at
      from input i join messages m
        on m.org_id = ${orgId} and m.group_id = ${groupId}
       and m.user_id = i.user_id and m.client_msg_id = i.client_msg_id
    ), fresh as (
      select i.*, row_number() over (order by i.ord) as rn from input i
      where not exists (select 1 from old o where o.ord = i.ord)
        and not exists (
          select 1 from input j
          where j.ord < i.ord and j.user_id = i.user_id and j.client_msg_id = i.client_msg_id)
    ), bump as (
      update groups set last_seq = last_seq + (select count(*) from fresh)
      where org_id = ${orgId} and id = ${groupId} and last_seq = (select last_seq from snap)
      returning last_seq
    ), ins as (
      insert into messages (${cols})
      select f.id, ${orgId}, ${groupId}, b.last_seq - (select count(*) from fresh) + f.rn,
             f.user_id, f.username, f.client_id, f.client_msg_id, f.content, f.created_at
      from fresh f cross join bump b
      returning ${cols}
    )
    select null::int as ord, ${cols} from ins
    union all
    select ord, ${cols} from old where exists (select 1 from bump)
    union all
    select -1, ${nulls} from snap where not exists (select 1 from bump)`);
  const rows = rowsOf<RawMessage & { ord: number | null }>(result);
  if (rows.some((r) => r.ord === -1)) return 'raced';
  const byId = new Map<string, MessageRow>();
  const byOrd = new Map<number, MessageRow>();
  const byKey = new Map<string, MessageRow>();
  for (const raw of rows) {
    const row = fromRaw(raw);
    if (raw.ord === null) byId.set(row.id, row);
    else byOrd.set(raw.ord, row);
    if (row.userId !== null && row.clientMsgId !== null) {
      byKey.set(`${row.userId}\u0000${row.clientMsgId}`, row);
    }
  }
  return batch.map((m, ord): InsertResult | undefined => {
    const made = byId.get(m.id);
    if (made) return { row: made, created: true };
    const stored =
      byOrd.get(ord) ??
      (m.userId !== null && m.clientMsgId !== null
        ? byKey.get(`${m.userId}\u0000${m.clientMsgId}`)
        : undefined);
    return stored && { row: stored, created: false };
  });
}

const inGroup = (orgId: string, groupId: string, notBefore: Date) =>
  and(eq(messages.orgId, orgId), eq(messages.groupId, groupId), gt(messages.createdAt, notBefore));

/**
 * Newest first, optionally only seqs below `beforeSeq`. Answers the query itself (await it;
 * `.toSQL()` gives the statement, for EXPLAIN tests), as does `listAscending`.
 */
export function listNewest(
  db: Db,
  orgId: string,
  groupId: string,
  q: { notBefore: Date; limit: number; beforeSeq?: number | undefined },
) {
  return db
    .select()
    .from(messages)
    .where(
      and(
        inGroup(orgId, groupId, q.notBefore),
        q.beforeSeq !== undefined ? lt(messages.seq, q.beforeSeq) : undefined,
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(q.limit);
}

/** Oldest first: seq above `afterSeq`, and/or created within [from, to] (from exclusive if asked). */
export function listAscending(
  db: Db,
  orgId: string,
  groupId: string,
  q: {
    notBefore: Date;
    limit: number;
    afterSeq?: number | undefined;
    createdAfter?: Date | undefined;
    createdFrom?: Date | undefined;
    createdTo?: Date | undefined;
    maxSeq?: number | undefined;
  },
) {
  return db
    .select()
    .from(messages)
    .where(
      and(
        inGroup(orgId, groupId, q.notBefore),
        q.afterSeq !== undefined ? gt(messages.seq, q.afterSeq) : undefined,
        q.maxSeq !== undefined ? lte(messages.seq, q.maxSeq) : undefined,
        q.createdAfter ? gt(messages.createdAt, q.createdAfter) : undefined,
        q.createdFrom ? gte(messages.createdAt, q.createdFrom) : undefined,
        q.createdTo ? lte(messages.createdAt, q.createdTo) : undefined,
      ),
    )
    .orderBy(asc(messages.seq))
    .limit(q.limit);
}

export async function countMessages(
  db: Db,
  orgId: string,
  groupId: string,
  notBefore: Date,
): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(messages)
    .where(inGroup(orgId, groupId, notBefore));
  return Number(row?.n ?? 0);
}

export async function insertBroadcast(
  db: Db,
  orgId: string,
  b: Omit<BroadcastRow, 'orgId'>,
): Promise<BroadcastRow> {
  const [row] = await db
    .insert(orgBroadcasts)
    .values({ ...b, orgId })
    .returning();
  return row!;
}

export function listBroadcasts(
  db: Db,
  orgId: string,
  q: { notBefore: Date; limit: number },
): Promise<BroadcastRow[]> {
  return db
    .select()
    .from(orgBroadcasts)
    .where(and(eq(orgBroadcasts.orgId, orgId), gt(orgBroadcasts.createdAt, q.notBefore)))
    .orderBy(desc(orgBroadcasts.createdAt), desc(orgBroadcasts.id))
    .limit(q.limit);
}

/**
 * Deletes up to `batch` announcements older than `cutoff`, across all orgs: retention is a
 * platform rule, not a tenant's. Small batches keep each lock short. Returns how many went,
 * so the caller can loop until a batch comes back short. (Messages: messages.partitions.ts.)
 */
export async function purgeBroadcastsOlderThan(
  db: Db,
  cutoff: Date,
  batch: number,
): Promise<number> {
  const oldB = db
    .select({ id: orgBroadcasts.id })
    .from(orgBroadcasts)
    .where(lt(orgBroadcasts.createdAt, cutoff))
    .limit(batch);
  const goneB = await db
    .delete(orgBroadcasts)
    .where(inArray(orgBroadcasts.id, oldB))
    .returning({ id: orgBroadcasts.id });
  return goneB.length;
}

/** The group's last handed-out seq (0 for a new group), or undefined if it does not exist. */
export async function lastSeqOf(
  db: Db,
  orgId: string,
  groupId: string,
): Promise<number | undefined> {
  const [row] = await db
    .select({ seq: groups.lastSeq })
    .from(groups)
    .where(and(eq(groups.orgId, orgId), eq(groups.id, groupId)))
    .limit(1);
  return row?.seq;
}

/** The last seqs of several groups in one statement (the hub's audit); absent groups are left out. */
export async function lastSeqsOf(
  db: Db,
  keys: ReadonlyArray<{ orgId: string; groupId: string }>,
): Promise<Array<{ orgId: string; groupId: string; seq: number }>> {
  if (keys.length === 0) return [];
  return db
    .select({ orgId: groups.orgId, groupId: groups.id, seq: groups.lastSeq })
    .from(groups)
    .where(or(...keys.map((k) => and(eq(groups.orgId, k.orgId), eq(groups.id, k.groupId)))));
}
