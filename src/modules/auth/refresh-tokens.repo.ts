import { and, eq, gte, isNotNull, isNull, ne, notExists } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { refreshTokens } from '../../db/schema.js';

export async function insertRefreshToken(
  db: Db,
  t: { orgId: string; userId: string; tokenHash: string; familyId: string; expiresAt: Date },
) {
  await db.insert(refreshTokens).values(t);
}

export async function findRefreshToken(db: Db, tokenHash: string) {
  const [row] = await db
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .limit(1);
  return row;
}

/**
 * Marks a token rotated, unless it was rotated or revoked already, or its session (family) has
 * ended: a family with any revoked token is over, so a refresh racing a logout of the same
 * family can never leave a live token behind (the logout's UPDATE may miss the row the
 * refresh inserts, but the next refresh of that row fails here).
 */
export async function markRotated(db: Db, id: string, familyId: string): Promise<boolean> {
  const ended = alias(refreshTokens, 'ended');
  const rows = await db
    .update(refreshTokens)
    .set({ rotatedAt: new Date() })
    .where(
      and(
        eq(refreshTokens.id, id),
        isNull(refreshTokens.rotatedAt),
        isNull(refreshTokens.revokedAt),
        notExists(
          db
            .select({ one: ended.id })
            .from(ended)
            .where(and(eq(ended.familyId, familyId), isNotNull(ended.revokedAt))),
        ),
      ),
    )
    .returning({ id: refreshTokens.id });
  return rows.length === 1;
}

/** Whether a session (refresh-token family) was ended: any of its tokens is revoked. */
export async function familyRevoked(db: Db, familyId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: refreshTokens.id })
    .from(refreshTokens)
    .where(and(eq(refreshTokens.familyId, familyId), isNotNull(refreshTokens.revokedAt)))
    .limit(1);
  return row !== undefined;
}

export async function revokeFamily(db: Db, familyId: string) {
  await db
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

/** Revokes every session of the user but `keep`; answers the sessions (families) it ended. */
export async function revokeOtherFamilies(
  db: Db,
  orgId: string,
  userId: string,
  keep: string | undefined,
): Promise<string[]> {
  const rows = await db
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(refreshTokens.orgId, orgId),
        eq(refreshTokens.userId, userId),
        isNull(refreshTokens.revokedAt),
        keep === undefined ? undefined : ne(refreshTokens.familyId, keep),
      ),
    )
    .returning({ familyId: refreshTokens.familyId });
  return [...new Set(rows.map((r) => r.familyId))];
}

/** Revokes every session of the user (refresh-token reuse); answers the sessions it ended. */
export async function revokeAllForUser(db: Db, orgId: string, userId: string) {
  return revokeOtherFamilies(db, orgId, userId, undefined);
}

/** Sessions revoked at or after `since` (every node loads them: see SessionRevocations). */
export async function revokedFamiliesSince(db: Db, since: Date) {
  const rows = await db
    .selectDistinct({ sessionId: refreshTokens.familyId, revokedAt: refreshTokens.revokedAt })
    .from(refreshTokens)
    .where(gte(refreshTokens.revokedAt, since));
  return rows.flatMap((r) =>
    r.revokedAt ? [{ sessionId: r.sessionId, revokedAt: r.revokedAt }] : [],
  );
}
