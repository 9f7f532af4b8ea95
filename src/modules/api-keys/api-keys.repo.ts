import { and, asc, count, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { apiKeys, groups, type ApiKeyRow } from '../../db/schema.js';
import { isUuid } from '../../shared/ids.js';

/** Every function takes the org first, except the lookup by hash (which yields the org). */

export interface NewApiKey {
  name: string;
  scopes: string[];
  groupIds: string[] | null;
  keyHash: string;
  keyPrefix: string;
  createdBy: string | null;
}

export async function insertApiKey(db: Db, orgId: string, k: NewApiKey): Promise<ApiKeyRow> {
  const [row] = await db
    .insert(apiKeys)
    .values({ orgId, ...k })
    .returning();
  return row!;
}

export async function countActiveKeys(db: Db, orgId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)));
  return row?.n ?? 0;
}

/** The org's keys that are not revoked, oldest first. */
export async function listActiveKeys(db: Db, orgId: string): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)))
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
    .limit(1000);
}

/** One active key of the org. */
export async function findActiveKey(
  db: Db,
  orgId: string,
  id: string,
): Promise<ApiKeyRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row;
}

/** The key with this hash, unless it is revoked. */
export async function findActiveKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row;
}

/** Revokes one key of the org; false when it is not there (another org's, unknown, revoked). */
export async function revokeKey(db: Db, orgId: string, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

/** Keys revoked at or after `since` (every node loads them: see ApiKeyAuthenticator). */
export async function revokedKeysSince(db: Db, since: Date): Promise<string[]> {
  const rows = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(gte(apiKeys.revokedAt, since));
  return rows.map((r) => r.id);
}

/**
 * Moves `last_used_at` forward for many keys in one statement (never back: nodes flush in
 * any order). Keys of every org at once: the ids are the keys' own, from authenticated use.
 */
export async function touchLastUsed(db: Db, used: ReadonlyMap<string, Date>): Promise<void> {
  if (used.size === 0) return;
  // One JSON parameter: both drivers pass it the same way, however many keys there are.
  const rows = JSON.stringify([...used].map(([id, t]) => ({ id, t: t.toISOString() })));
  await db.execute(sql`
    UPDATE ${apiKeys} AS k SET last_used_at = u.t
    FROM jsonb_to_recordset(${rows}::jsonb) AS u(id uuid, t timestamptz)
    WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.t)`);
}

/** Which of these ids are groups (not DMs) of the org. */
export async function existingGroups(db: Db, orgId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: groups.id })
    .from(groups)
    .where(and(eq(groups.orgId, orgId), eq(groups.kind, 'group'), inArray(groups.id, ids)));
  return new Set(rows.map((r) => r.id));
}
