import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.js';
import type { UserRow } from '../../db/schema.js';
import { forbidden, rateLimited, unauthorized } from '../../errors.js';
import type { LimiterFactory } from '../../shared/rate-limit.js';
import { insertOrg } from '../orgs/orgs.repo.js';
import { findUser, findUserByLogin, insertUser } from '../users/users.repo.js';
import { createLoginThrottle } from './login-throttle.js';
import { assertAcceptablePassword } from './password-policy.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import * as tokensRepo from './refresh-tokens.repo.js';
import { hashRefreshToken, newRefreshToken, type TokenService } from './tokens.js';

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRow;
}

export interface SessionEvents {
  /** Every session of the user was revoked (token reuse); `sessionIds` are those it ended. */
  sessionsRevoked?(orgId: string, userId: string, sessionIds: readonly string[]): void;
  /** One session (refresh token family) was ended by logout. */
  loggedOut?(orgId: string, userId: string, sessionId: string): void;
}

const BAD_LOGIN = 'invalid credentials';

export function createAuthService(opts: {
  db: Db;
  tokens: TokenService;
  refreshTtlSec: number;
  limiters: LimiterFactory;
  signupOpen: boolean;
  events?: SessionEvents;
}) {
  const { db, tokens } = opts;
  const throttle = createLoginThrottle(opts.limiters);
  const signups = opts.limiters({ keyPrefix: 'signup-ip', points: 10, durationSec: 60 * 60 });

  async function startSession(user: UserRow, familyId: string = randomUUID()): Promise<Session> {
    const refresh = newRefreshToken();
    await tokensRepo.insertRefreshToken(db, {
      orgId: user.orgId,
      userId: user.id,
      tokenHash: refresh.hash,
      familyId,
      expiresAt: new Date(Date.now() + opts.refreshTtlSec * 1000),
    });
    const access = await tokens.issueAccess({ ...user, sessionId: familyId });
    return {
      accessToken: access.token,
      refreshToken: refresh.token,
      expiresIn: access.expiresIn,
      user,
    };
  }

  return {
    async login(input: {
      orgId: string;
      username?: string;
      email?: string;
      password: string;
      ip: string;
    }): Promise<Session> {
      await throttle.source(input.ip);
      const user =
        input.username || input.email
          ? await findUserByLogin(
              db,
              input.orgId,
              input.username ? { username: input.username } : { email: input.email! },
            )
          : undefined;
      // Counted per account, whether it is named by username or by email; unknown logins by
      // what was typed, so guessing at them is limited the same way.
      const login = (input.username ?? input.email ?? '').toLowerCase();
      const accountKey = user ? `${input.orgId}:id:${user.id}` : `${input.orgId}:${login}`;
      await throttle.attempt(accountKey, input.ip);
      const ok = user
        ? await verifyPassword(input.password, user.passwordHash)
        : await burnPasswordCheck(input.password);
      if (!user || !ok) {
        await throttle.failed(accountKey, input.ip);
        throw unauthorized(BAD_LOGIN);
      }
      await throttle.succeeded(accountKey, input.ip);
      return startSession(user);
    },

    async refresh(refreshToken: string): Promise<Session> {
      const row = await tokensRepo.findRefreshToken(db, hashRefreshToken(refreshToken));
      if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now())
        throw unauthorized('invalid refresh token');
      const rotated = !row.rotatedAt && (await tokensRepo.markRotated(db, row.id, row.familyId));
      if (!rotated) {
        // The session ended (a logout raced this refresh): nothing to rotate, nothing stolen.
        if (await tokensRepo.familyRevoked(db, row.familyId))
          throw unauthorized('invalid refresh token');
        // A rotated token came back: it was stolen, or the client is confused. Either way no
        // session of this user can be trusted any more.
        const ended = await tokensRepo.revokeAllForUser(db, row.orgId, row.userId);
        opts.events?.sessionsRevoked?.(row.orgId, row.userId, [
          ...new Set([row.familyId, ...ended]),
        ]);
        throw unauthorized('refresh token reuse detected; every session of this user was revoked');
      }
      const user = await findUser(db, row.orgId, row.userId);
      if (!user) throw unauthorized('invalid refresh token');
      // A logout (or reuse) of this family committing meanwhile may miss the token inserted
      // here; it is dead all the same: markRotated refuses a family with a revoked token, and
      // the access token's session is revoked on every node.
      return startSession(user, row.familyId);
    },

    async logout(refreshToken: string): Promise<void> {
      const row = await tokensRepo.findRefreshToken(db, hashRefreshToken(refreshToken));
      if (!row) return;
      await tokensRepo.revokeFamily(db, row.familyId);
      opts.events?.loggedOut?.(row.orgId, row.userId, row.familyId);
    },

    async signup(input: {
      orgId: string;
      orgName: string;
      username: string;
      email: string;
      password: string;
      fullName?: string;
      ip: string;
    }) {
      if (!opts.signupOpen) throw forbidden('self-service signup is closed on this server');
      await assertAcceptablePassword(input.password, input);
      const allowed = await signups.consume(input.ip);
      if (!allowed.ok) throw rateLimited(allowed.retryAfterSec);
      const passwordHash = await hashPassword(input.password);
      // One transaction: an org never exists without its first admin.
      const { org, user } = await db.transaction(async (tx) => {
        const org = await insertOrg(tx, { id: input.orgId, name: input.orgName });
        const user = await insertUser(tx, org.id, {
          username: input.username,
          email: input.email,
          fullName: input.fullName ?? '',
          passwordHash,
          role: 'admin',
        });
        return { org, user };
      });
      return { org, session: await startSession(user) };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
