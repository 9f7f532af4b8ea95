import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { CLOSE_SESSION_ENDED, CLOSE_TOKEN_EXPIRED } from '../protocol/workspace.js';
import type { AccessRevokedEvent } from '../protocol/workspace-events.js';
import { findUser } from '../modules/users/users.repo.js';
import type { ServerEvent } from '../realtime/events.js';
import type { WorkspaceConnection } from './workspace-connection.js';
import type { WorkspaceDeps } from './workspace-deps.js';

/** The warning comes this long before expiry (or halfway through a shorter token life). */
const WARN_BEFORE_MS = 60_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Builds the event sent on the user channel when a user's access changed, so that every
 * node's sockets act on it (wired in the composition root to the auth, user and group services).
 */
export function accessRevoked(
  reason: AccessRevokedEvent['reason'],
  extra: { group_id?: string; session_id?: string } = {},
): ServerEvent {
  return { type: 'access.revoked', id: randomUUID(), reason, ...extra };
}

/**
 * The access side of a workspace socket: `token.expiring` before the access token runs out,
 * 4001 at expiry unless an `auth` frame brought a fresh token of the same user, and the
 * reactions to `access.revoked` (logout and deletion close with 4003; a lost group or role
 * ends the subscriptions the user may no longer hold).
 */
export class SessionClock {
  private warnTimer: NodeJS.Timeout | undefined;
  private expireTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly conn: WorkspaceConnection,
    private readonly deps: WorkspaceDeps,
  ) {}

  arm(): void {
    this.disarm();
    const exp = this.conn.user.expiresAt;
    if (exp === undefined) return;
    const left = exp * 1000 - Date.now();
    const warnIn = left - Math.min(WARN_BEFORE_MS, left / 2);
    if (warnIn <= MAX_TIMER_MS) {
      this.warnTimer = setTimeout(
        () =>
          this.conn.send({
            type: 'token.expiring',
            expires_at: new Date(exp * 1000).toISOString(),
          }),
        Math.max(0, warnIn),
      );
      this.warnTimer.unref();
    }
    // Timers cap at 2^31-1 ms (~24.8 days): a longer token life re-arms when that fires.
    this.expireTimer = setTimeout(
      () =>
        Date.now() >= exp * 1000
          ? this.conn.closeWith(CLOSE_TOKEN_EXPIRED, 'access token expired')
          : this.arm(),
      Math.min(MAX_TIMER_MS, Math.max(0, left)),
    );
    this.expireTimer.unref();
  }

  disarm(): void {
    clearTimeout(this.warnTimer);
    clearTimeout(this.expireTimer);
  }

  /** An `auth` frame: a fresh access token of the same user extends the socket's life. */
  async reauthenticate(req: string, token: string): Promise<void> {
    const p = await this.deps.authenticator.authenticate(token);
    if (!p || p.kind !== 'user') {
      return this.conn.error(req, 'unauthorized', 'invalid or expired token');
    }
    const u = this.conn.user;
    if (p.id !== u.id || p.orgId !== u.orgId) {
      return this.conn.error(req, 'forbidden', 'the token is of another user');
    }
    const roleChanged = p.role !== u.role;
    u.role = p.role;
    u.username = p.username;
    u.expiresAt = p.expiresAt;
    if (p.sessionId !== undefined) u.sessionId = p.sessionId;
    this.arm();
    const expiresAt = p.expiresAt === undefined ? null : new Date(p.expiresAt * 1000).toISOString();
    this.conn.send({ type: 'authenticated', req, expires_at: expiresAt });
    if (roleChanged) await this.recheckLanes();
  }

  /** An `access.revoked` event on the user channel. Never throws. */
  async onAccessEvent(text: string): Promise<void> {
    try {
      const e = JSON.parse(text) as AccessRevokedEvent;
      const u = this.conn.user;
      if (e.reason === 'deleted') return this.conn.closeWith(CLOSE_SESSION_ENDED, 'user deleted');
      if (e.reason === 'logout') {
        if (e.session_id === undefined || e.session_id === u.sessionId)
          this.conn.closeWith(CLOSE_SESSION_ENDED, 'logged out');
        return;
      }
      if (e.reason === 'role') {
        const row = await findUser(this.deps.db, u.orgId, u.id);
        if (!row) return this.conn.closeWith(CLOSE_SESSION_ENDED, 'user deleted');
        u.role = row.role;
      }
      await this.recheckLanes(e.reason === 'removed' ? e.group_id : undefined);
    } catch (err) {
      this.deps.log.warn({ err }, 'access event not applied');
    }
  }

  /** Ends the subscriptions (of one group, or all private ones) the user may no longer hold. */
  private async recheckLanes(only?: string): Promise<void> {
    const lanes = [...this.conn.lanes.values()].filter((l) =>
      only !== undefined ? l.groupId === only : l.isPrivate,
    );
    for (const lane of lanes) {
      try {
        await this.deps.groups.access(this.conn.user.principal(), lane.orgId, lane.groupId);
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        if (this.conn.lanes.get(lane.groupId) === lane)
          this.conn.dropLane(lane.groupId, 'removed', 'no longer a member of this group');
      }
    }
  }
}
