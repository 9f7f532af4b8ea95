import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { users } from '../../db/schema.js';
import { looksLikeApiKey } from '../api-keys/api-key-secret.js';
import type { ApiKeyPrincipal, Principal } from './principal.js';
import type { SessionRevocations } from './session-revocations.js';
import type { TokenService } from './tokens.js';

/**
 * Turns a bearer token into a principal, for HTTP requests and socket upgrades alike. A user
 * token is checked for signature, issuer, audience and expiry, then for its session (ended
 * sessions are known in memory on every node: no query), and then against the database, so
 * a deleted user is locked out at once and role changes apply to the next request.
 *
 * A token without a session (`sid`) is minted by no route of the server, only by tests and
 * tools holding the secret: it stays valid while its user exists and until it expires.
 *
 * An API key (`ohk_…`) is answered by the key cache (memory, revoked on every node) and its
 * use noted for `last_used_at` (written in batches, not per request).
 */
export interface Authenticator {
  authenticate(
    token: string | undefined,
  ): Promise<(Principal & { expiresAt?: number; sessionId?: string }) | null>;
  /**
   * Whether the session has ended since its token was checked: a socket that was authorized
   * while its session ended may have missed the `access.revoked` event, so it asks once
   * it listens for them. Memory only.
   */
  sessionEnded(sessionId: string | undefined): boolean;
  /** Whether the API key was revoked (the same question, for a key's socket). Memory only. */
  keyRevoked(keyId: string): boolean;
}

export interface ApiKeyLookup {
  authenticate(key: string): Promise<ApiKeyPrincipal | null>;
  used(keyId: string): void;
  isRevoked(keyId: string): boolean;
}

export function createAuthenticator(
  db: Db,
  tokens: TokenService,
  sessions: Pick<SessionRevocations, 'isRevoked'>,
  apiKeys?: ApiKeyLookup,
): Authenticator {
  return {
    sessionEnded: (sessionId) => sessionId !== undefined && sessions.isRevoked(sessionId),
    keyRevoked: (keyId) => apiKeys?.isRevoked(keyId) ?? false,
    async authenticate(token) {
      if (!token) return null;
      if (tokens.isOperatorToken(token)) return { kind: 'operator' };
      if (looksLikeApiKey(token)) {
        const key = (await apiKeys?.authenticate(token)) ?? null;
        if (key) apiKeys?.used(key.id);
        return key;
      }
      const claims = await tokens.verifyAccess(token);
      if (!claims) return null;
      if (claims.sessionId !== undefined && sessions.isRevoked(claims.sessionId)) return null;
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
