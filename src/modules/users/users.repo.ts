import { and, count, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { isUniqueViolation, pgErrorCode } from '../../db/database.js';
import { users, type UserRow } from '../../db/schema.js';
import { conflict, notFound } from '../../errors.js';
import { isUuid } from '../../shared/ids.js';

/** Every function takes the org first: a user is only ever found inside its own org. */

export interface NewUser {
  username: string;
  email: string;
  fullName: string;
  passwordHash: string;
  role: 'admin' | 'member';
}

function uniqueConflict(err: unknown): never {
  if (isUniqueViolation(err)) {
    const text = String((err as { cause?: { constraint?: string } }).cause?.constraint ?? err);
    throw conflict(
      text.includes('email')
        ? 'email is already taken in this org'
        : 'username is already taken in this org',
    );
  }
  if (pgErrorCode(err) === '23503') throw notFound('org');
  throw err;
}

export async function insertUser(db: Db, orgId: string, u: NewUser): Promise<UserRow> {
  try {
    const [row] = await db
      .insert(users)
      .values({ orgId, ...u })
      .returning();
    return row!;
  } catch (err) {
    uniqueConflict(err);
  }
}

export async function findUser(db: Db, orgId: string, id: string): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.id, id)))
    .limit(1);
  return row;
}

/** Looks a user up by id in any org; only for the operator, who may act in every org. */
export async function findUserAnyOrg(db: Db, id: string): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

export async function findUserByLogin(
  db: Db,
  orgId: string,
  by: { username?: string; email?: string },
): Promise<UserRow | undefined> {
  const cond = by.username
    ? sql`lower(${users.username}) = lower(${by.username})`
    : sql`lower(${users.email}) = lower(${by.email ?? ''})`;
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.orgId, orgId), cond))
    .limit(1);
  return row;
}

export async function listUsers(db: Db, orgId: string): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(eq(users.orgId, orgId))
    .orderBy(users.createdAt, users.id)
    .limit(10_000);
}

export async function updateUser(
  db: Db,
  orgId: string,
  id: string,
  patch: Partial<Pick<UserRow, 'fullName' | 'email' | 'passwordHash' | 'role'>>,
): Promise<UserRow | undefined> {
  try {
    const [row] = await db
      .update(users)
      .set({ ...patch, updatedAt: new Date() })
      .where(and(eq(users.orgId, orgId), eq(users.id, id)))
      .returning();
    return row;
  } catch (err) {
    uniqueConflict(err);
  }
}

export async function deleteUser(db: Db, orgId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(users)
    .where(and(eq(users.orgId, orgId), eq(users.id, id)))
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Admins of the org other than `exceptId`; used to keep every org with at least one admin. */
export async function countOtherAdmins(db: Db, orgId: string, exceptId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.role, 'admin'), ne(users.id, exceptId)));
  return row?.n ?? 0;
}
