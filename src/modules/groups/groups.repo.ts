import { and, eq, exists, getTableColumns, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { isUniqueViolation, pgErrorCode } from '../../db/database.js';
import { groupMembers, groups, readCursors, type GroupRow } from '../../db/schema.js';
import { conflict, notFound } from '../../errors.js';
import { isSlug } from '../../shared/ids.js';

export async function insertGroup(
  db: Db,
  orgId: string,
  g: {
    id: string;
    name: string;
    private: boolean;
    createdBy: string | null;
    kind?: 'group' | 'dm';
    members?: string[];
  },
): Promise<GroupRow> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(groups)
        .values({
          orgId,
          id: g.id,
          name: g.name,
          private: g.private,
          createdBy: g.createdBy,
          kind: g.kind ?? 'group',
        })
        .returning();
      const members = new Set(g.members ?? []);
      if (g.createdBy) members.add(g.createdBy);
      if (members.size) {
        await tx
          .insert(groupMembers)
          .values([...members].map((userId) => ({ orgId, groupId: g.id, userId })));
      }
      return row!;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`group "${g.id}" already exists in this org`);
    if (pgErrorCode(err) === '23503') throw notFound('org');
    throw err;
  }
}

export async function findGroup(
  db: Db,
  orgId: string,
  groupId: string,
): Promise<GroupRow | undefined> {
  if (!isSlug(orgId) || !isSlug(groupId)) return undefined;
  const [row] = await db
    .select()
    .from(groups)
    .where(and(eq(groups.orgId, orgId), eq(groups.id, groupId)))
    .limit(1);
  return row;
}

/** `exists`: the user is a member of the row of `groups` in scope (no user: never). */
function membership(db: Db, userId: string | null): SQL {
  if (!userId) return sql`false`;
  return exists(
    db
      .select({ one: sql`1` })
      .from(groupMembers)
      .where(
        and(
          eq(groupMembers.orgId, groups.orgId),
          eq(groupMembers.groupId, groups.id),
          eq(groupMembers.userId, userId),
        ),
      ),
  );
}

/**
 * A group and whether `userId` is one of its members, in one query (no user: never a member).
 * Undefined when either id is malformed or names no group of the org.
 */
export async function findGroupWithMembership(
  db: Db,
  orgId: string,
  groupId: string,
  userId: string | null,
): Promise<{ group: GroupRow; member: boolean } | undefined> {
  if (!isSlug(orgId) || !isSlug(groupId)) return undefined;
  const member = membership(db, userId);
  const [row] = await db
    .select({ group: getTableColumns(groups), member: sql<boolean>`${member}`.mapWith(Boolean) })
    .from(groups)
    .where(and(eq(groups.orgId, orgId), eq(groups.id, groupId)))
    .limit(1);
  return row;
}

/**
 * Groups a user may join: every public group, and the private ones they belong to (all, for
 * admins), each with `readerId`'s read cursor (0 when none, or no reader) in the same query.
 */
export async function listJoinableGroups(
  db: Db,
  orgId: string,
  viewer: { userId: string; seeAll: false } | { seeAll: true },
  readerId?: string,
): Promise<Array<GroupRow & { lastReadSeq: number }>> {
  const visible = viewer.seeAll
    ? undefined
    : or(eq(groups.private, false), membership(db, viewer.userId));
  return db
    .select({
      ...getTableColumns(groups),
      lastReadSeq: sql<number>`coalesce(${readCursors.lastReadSeq}, 0)`.mapWith(Number),
    })
    .from(groups)
    .leftJoin(
      readCursors,
      and(
        eq(readCursors.orgId, groups.orgId),
        eq(readCursors.groupId, groups.id),
        readerId ? eq(readCursors.userId, readerId) : sql`false`,
      ),
    )
    .where(and(eq(groups.orgId, orgId), eq(groups.kind, 'group'), visible))
    .orderBy(groups.createdAt, groups.id)
    .limit(10_000);
}

/**
 * The groups and DMs of an org a principal might read, with its membership: every public
 * group, every group or DM it belongs to, and (for admins and the operator, `wide`) every
 * private group; the operator also every DM. A superset the caller narrows with the policy.
 */
export async function listReadCandidates(
  db: Db,
  orgId: string,
  viewer: { userId: string | null; wide: boolean; operator: boolean },
): Promise<Array<{ group: GroupRow; member: boolean }>> {
  const member = membership(db, viewer.userId);
  const candidate = viewer.operator
    ? undefined
    : or(
        and(eq(groups.kind, 'group'), viewer.wide ? undefined : eq(groups.private, false)),
        member,
      );
  return db
    .select({ group: getTableColumns(groups), member: sql<boolean>`${member}`.mapWith(Boolean) })
    .from(groups)
    .where(and(eq(groups.orgId, orgId), candidate))
    .limit(100_000);
}

/** True when the user was not a member before. */
export async function addGroupMember(
  db: Db,
  orgId: string,
  groupId: string,
  userId: string,
): Promise<boolean> {
  const added = await db
    .insert(groupMembers)
    .values({ orgId, groupId, userId })
    .onConflictDoNothing()
    .returning({ userId: groupMembers.userId });
  return added.length > 0;
}

export async function removeGroupMember(
  db: Db,
  orgId: string,
  groupId: string,
  userId: string,
): Promise<boolean> {
  const rows = await db
    .delete(groupMembers)
    .where(
      and(
        eq(groupMembers.orgId, orgId),
        eq(groupMembers.groupId, groupId),
        eq(groupMembers.userId, userId),
      ),
    )
    .returning({ userId: groupMembers.userId });
  return rows.length > 0;
}

export async function listGroupMemberIds(
  db: Db,
  orgId: string,
  groupId: string,
): Promise<string[]> {
  const rows = await db
    .select({ userId: groupMembers.userId })
    .from(groupMembers)
    .where(and(eq(groupMembers.orgId, orgId), eq(groupMembers.groupId, groupId)));
  return rows.map((r) => r.userId);
}
