import { createHash } from 'node:crypto';
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { groupMembers, groups, readCursors, users } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { findGroup, insertGroup } from '../groups/groups.repo.js';

/**
 * The id of the DM between two users: the same whichever of them asks, so two concurrent
 * first uses insert the same primary key and one of them simply finds the other's row.
 * `attempt` > 0 gives the next candidate, used only when an older group (from before the
 * `dm-` prefix was reserved) holds the first one.
 */
export function dmId(a: string, b: string, attempt = 0): string {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()].sort();
  const key = attempt === 0 ? `${x}:${y}` : `${x}:${y}:${attempt}`;
  return `dm-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** Candidates tried before giving up: each taken one is a group made before the reservation. */
const MAX_DM_ID_ATTEMPTS = 16;

export interface DmRow {
  id: string;
  orgId: string;
  createdAt: Date;
  lastSeq: number;
  lastReadSeq: number;
  otherId: string;
  otherUsername: string;
}

/**
 * The DM of two users of one org, created (private, kind `dm`, both members) on first use;
 * `created` is true only for the call that created it. A row is taken for their DM only when
 * it is of kind `dm`: a group that holds the id (made before `dm-` was reserved) is skipped,
 * never used, so no one can stand in for a DM by naming a group after it.
 */
export async function ensureDm(
  db: Db,
  orgId: string,
  me: string,
  other: string,
): Promise<{ id: string; created: boolean }> {
  for (let attempt = 0; attempt < MAX_DM_ID_ATTEMPTS; attempt++) {
    const id = dmId(me, other, attempt);
    const found = await findGroup(db, orgId, id);
    if (found) {
      if (found.kind === 'dm') return { id, created: false };
      continue;
    }
    try {
      await insertGroup(db, orgId, {
        id,
        name: 'direct message',
        private: true,
        kind: 'dm',
        createdBy: me,
        members: [me, other],
      });
      return { id, created: true };
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict')) throw err;
      // Lost a race with the other user's first use: their row is ours too.
      const raced = await findGroup(db, orgId, id);
      if (raced?.kind === 'dm') return { id, created: false };
    }
  }
  throw new AppError('conflict', 'no id is free for this direct conversation');
}

/** The DM of two users if it exists (nothing is created): its id, or undefined. */
export async function findDm(
  db: Db,
  orgId: string,
  a: string,
  b: string,
): Promise<string | undefined> {
  for (let attempt = 0; attempt < MAX_DM_ID_ATTEMPTS; attempt++) {
    const id = dmId(a, b, attempt);
    const found = await findGroup(db, orgId, id);
    if (!found) return undefined;
    if (found.kind === 'dm') return id;
  }
  return undefined;
}

/** The caller's DMs, with the other user and the caller's read cursor, newest activity first. */
export async function listDms(
  db: Db,
  orgId: string,
  userId: string,
  onlyId?: string,
): Promise<DmRow[]> {
  const mine = alias(groupMembers, 'mine');
  const other = alias(groupMembers, 'other');
  return db
    .select({
      id: groups.id,
      orgId: groups.orgId,
      createdAt: groups.createdAt,
      lastSeq: groups.lastSeq,
      lastReadSeq: sql<number>`coalesce(${readCursors.lastReadSeq}, 0)`.mapWith(Number),
      otherId: users.id,
      otherUsername: users.username,
    })
    .from(groups)
    .innerJoin(
      mine,
      and(eq(mine.orgId, groups.orgId), eq(mine.groupId, groups.id), eq(mine.userId, userId)),
    )
    .innerJoin(
      other,
      and(eq(other.orgId, groups.orgId), eq(other.groupId, groups.id), ne(other.userId, userId)),
    )
    .innerJoin(users, and(eq(users.orgId, groups.orgId), eq(users.id, other.userId)))
    .leftJoin(
      readCursors,
      and(
        eq(readCursors.orgId, groups.orgId),
        eq(readCursors.groupId, groups.id),
        eq(readCursors.userId, userId),
      ),
    )
    .where(
      and(
        eq(groups.orgId, orgId),
        eq(groups.kind, 'dm'),
        onlyId !== undefined ? eq(groups.id, onlyId) : undefined,
      ),
    )
    .orderBy(desc(groups.lastSeq), groups.id)
    .limit(10_000);
}
