import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { users } from '../../db/schema.js';
import type { Principal } from './principal.js';
import type { TokenService } from './tokens.js';

/**
 * Turns a bearer token into a principal, for HTTP requests and socket upgrades alike. A user
 * token is checked for signature, issuer, audience and expiry, and then against the database,
 * so a deleted user is locked out at once and role changes apply to the next request.
 */
export interface Authenticator {
  authenticate(
    token: string | undefined,
  ): Promise<(Principal & { expiresAt?: number; sessionId?: string }) | null>;
}

export function createAuthenticator(db: Db, tokens: TokenService): Authenticator {
  return {
    async authenticate(token) {
      if (!token) return null;
      if (tokens.isOperatorToken(token)) return { kind: 'operator' };
      const claims = await tokens.verifyAccess(token);
      if (!claims) return null;
      const [user] = await db
        .select({ id: users.id, orgId: users.orgId, role: users.role, username: users.username })
        .from(users)
        .where(and(eq(users.id, claims.userId), eq(users.orgId, claims.orgId)))
        .limit(1);
      if (!user) return null;
      return {
        kind: 'user',
        ...user,
        expiresAt: claims.exp,
        ...(claims.sessionId !== undefined && { sessionId: claims.sessionId }),
      };
    },
  };
}

/** Reads `Authorization: Bearer <token>`; anything else is no token. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
