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
 */
export function dmId(a: string, b: string): string {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()].sort();
  return `dm-${createHash('sha256').update(`${x}:${y}`).digest('hex').slice(0, 40)}`;
}

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
 * The DM of two users of one org, created (private, kind `dm`, both members) on first use.
 * True only for the call that created it.
 */
export async function ensureDm(db: Db, orgId: string, me: string, other: string): Promise<boolean> {
  const id = dmId(me, other);
  if (await findGroup(db, orgId, id)) return false;
  try {
    await insertGroup(db, orgId, {
      id,
      name: 'direct message',
      private: true,
      kind: 'dm',
      createdBy: me,
      members: [me, other],
    });
    return true;
  } catch (err) {
    // Lost a race with the other user's first use: their row is ours too.
    if (!(err instanceof AppError && err.code === 'conflict')) throw err;
    return false;
  }
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
