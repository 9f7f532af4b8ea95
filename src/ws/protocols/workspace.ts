import { randomUUID } from 'node:crypto';
import type { UserPrincipal } from '../../modules/auth/principal.js';
import { DM_COPY_TYPE } from '../../modules/dms/dms.copies.js';
import type { WorkspaceClientFrame, WorkspaceError } from '../../protocol/workspace.js';
import type { AccessRevokedEvent } from '../../protocol/workspace-events.js';
import { channels } from '../../realtime/channels.js';
import { frameOf, stringField, type Frame, type OutValue } from '../engine/out-frame.js';
import { clientError, UNAVAILABLE } from '../engine/parse.js';
import type { Admission, SocketRoute } from '../engine/server.js';
import { Session, type ProtocolHandler } from '../engine/session.js';
import { UpgradeRefused } from '../engine/upgrade.js';
import { CLIENT_CODES, errorOf, parseWorkspaceFrame } from './workspace-frames.js';
import type { WorkspaceContext, WorkspaceDeps } from './workspace-context.js';
import { publish } from './workspace-publish.js';
import { PendingReplies } from './workspace-sink.js';
import { dropSubscription, recheckSubscriptions, subscribe } from './workspace-subscriptions.js';

const PATH = /^\/ws\/?$/;

/**
 * The workspace socket (`GET /ws`) over the engine: a session with many streams, one per
 * subscribed group or DM, and the org and user channels once per socket. Frames are handled
 * one at a time, in order, so replies come in the order of requests and a client's messages
 * are stored in its order.
 */
export class WorkspaceProtocol implements ProtocolHandler, WorkspaceContext {
  /** Messages this socket published and has not seen in its streams yet. */
  readonly replies = new PendingReplies();
  /** Ids of `read` events this socket caused (its own reply already told it). */
  private readonly ownReads = new Set<string>();

  constructor(
    readonly session: Session,
    readonly deps: WorkspaceDeps,
  ) {}

  /** The session's user (a workspace session is always a user's). */
  get user(): UserPrincipal {
    const p = this.session.principal;
    if (p.kind !== 'user') throw new Error('a workspace session is a user’s');
    return p;
  }

  start(): void {}

  onChannelFrame(frame: Frame): number {
    // DM messages come on the DM's own subscription; their copies are for `/ws/dm` sockets.
    if (frame.type === DM_COPY_TYPE) return 0;
    if (
      frame.type === 'read' &&
      this.ownReads.size &&
      this.ownReads.delete(stringField(frame, 'id') ?? '')
    )
      return 0;
    return this.session.sink.send(frame);
  }

  onAccessChanged(e: AccessRevokedEvent): Promise<void> {
    return recheckSubscriptions(this, e.reason === 'removed' ? e.group_id : undefined);
  }

  reply(value: OutValue): void {
    this.session.send(value);
  }

  error(req: string | null, code: WorkspaceError['code'], message: string, groupId?: string) {
    this.session.send(errorOf(req, code, message, groupId));
  }

  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const parsed = parseWorkspaceFrame(data, isBinary);
    // Every frame kind takes from the socket's one bucket (pings from their own): a flood of
    // subscribes or history reads never reaches the database nor delays other users.
    const verdict = this.session.take(parsed.ok && parsed.frame.type === 'ping' ? 'ping' : 'frame');
    if (verdict === 'flood') return;
    if (verdict === 'limited') {
      const req = parsed.ok ? parsed.frame.req : parsed.error.req;
      const groupId = parsed.ok && 'group_id' in parsed.frame ? parsed.frame.group_id : undefined;
      return this.error(req, 'rate_limited', 'sending too fast, slow down', groupId);
    }
    if (!parsed.ok) return this.error(parsed.error.req, parsed.error.code, parsed.error.message);
    const f = parsed.frame;
    if (f.type === 'ping') return this.reply({ type: 'pong', req: f.req });
    if (f.type === 'typing') return this.typing(f.req, f.group_id);
    if (f.type === 'publish') {
      const bad = this.deps.messages.checkContent(f.content);
      if (bad)
        return this.error(
          f.req,
          bad.code === 'payload_too_large' ? 'payload_too_large' : 'bad_request',
          bad.message,
          f.group_id,
        );
    }
    this.session.serial(() => this.handle(f).catch((err) => this.failed(f, err)));
  }

  private typing(req: string, groupId: string): void {
    const stream = this.session.streams.get(groupId);
    if (!stream) {
      return this.error(req, 'not_found', 'subscribe to the group before typing in it', groupId);
    }
    stream.typing?.refresh();
  }

  private failed(f: WorkspaceClientFrame, err: unknown) {
    const e = clientError(err, CLIENT_CODES, UNAVAILABLE, {
      logger: this.deps.log,
      what: 'workspace frame failed',
      context: { frame: f.type },
    });
    this.error(f.req, e.code, e.message, 'group_id' in f ? f.group_id : undefined);
  }

  private async handle(f: WorkspaceClientFrame): Promise<void> {
    if (this.session.isClosed) return;
    const user = this.user;
    switch (f.type) {
      case 'subscribe':
        return subscribe(this, f);
      case 'unsubscribe':
        dropSubscription(this, f.group_id, null, '');
        return this.reply({ type: 'unsubscribed', req: f.req, group_id: f.group_id });
      case 'publish':
        return publish(this, f);
      case 'history': {
        const messages = await this.deps.messages.newest(user, user.orgId, f.group_id, {
          ...(f.limit !== undefined && { limit: f.limit }),
          ...(f.before_seq !== undefined && { before_seq: f.before_seq }),
        });
        return this.reply({ type: 'history', req: f.req, group_id: f.group_id, messages });
      }
      case 'read': {
        // The reply tells this socket; the event is for the user's other sockets.
        const eventId = randomUUID();
        this.ownReads.add(eventId);
        const r = await this.deps.reads
          .markRead(user, user.orgId, f.group_id, f.seq, eventId)
          .finally(() => this.ownReads.delete(eventId));
        const { eventId: _, ...cursor } = r;
        return this.reply({ type: 'read', req: f.req, ...cursor, seq: r.last_read_seq });
      }
      case 'presence': {
        const online = await this.deps.onlineUsers.inGroup(user, user.orgId, f.group_id);
        const users = online.map((u) => ({ user_id: u.userId, username: u.username }));
        return this.reply({ type: 'presence', req: f.req, group_id: f.group_id, users });
      }
      case 'auth':
        return this.reauthenticate(f.req, f.token);
    }
  }

  /** An `auth` frame: a fresh access token of the same user extends the socket's life. */
  private async reauthenticate(req: string, token: string): Promise<void> {
    const p = await this.deps.authenticator.authenticate(token);
    if (!p || p.kind !== 'user') return this.error(req, 'unauthorized', 'invalid or expired token');
    const u = this.user;
    if (p.id !== u.id || p.orgId !== u.orgId) {
      return this.error(req, 'forbidden', 'the token is of another user');
    }
    const roleChanged = p.role !== u.role;
    const principal: UserPrincipal = {
      kind: 'user',
      id: p.id,
      orgId: p.orgId,
      role: p.role,
      username: p.username,
    };
    this.session.renew({ principal, expiresAt: p.expiresAt, sessionId: p.sessionId });
    const expiresAt = p.expiresAt === undefined ? null : new Date(p.expiresAt * 1000).toISOString();
    this.reply({ type: 'authenticated', req, expires_at: expiresAt });
    if (roleChanged) await recheckSubscriptions(this);
  }
}

/** `GET /ws`: a user's (403 for the operator, which has the group socket). */
export function workspaceRoute(deps: WorkspaceDeps): SocketRoute {
  return {
    matches: (pathname) => PATH.test(pathname),
    async authorize(_req, _url, p): Promise<Admission> {
      if (p.kind !== 'user') {
        throw new UpgradeRefused(
          'forbidden',
          'the workspace socket is for users; use the group socket',
        );
      }
      const principal: UserPrincipal = {
        kind: 'user',
        id: p.id,
        orgId: p.orgId,
        role: p.role,
        username: p.username,
      };
      return {
        quotaUser: { orgId: p.orgId, userId: p.id, of: 'user' },
        backlogReason: 'too far behind, reconnect and resubscribe with since_seq',
        open: ({ id, sink }) => {
          const session = new Session(
            sink,
            {
              id,
              principal,
              expiresAt: p.expiresAt,
              sessionId: p.sessionId,
              channels: [channels.org(p.orgId), channels.user(p.orgId, p.id)],
              reasons: { expired: 'access token expired', loggedOut: 'logged out' },
              expiryWarning: (exp) =>
                frameOf({ type: 'token.expiring', expires_at: new Date(exp * 1000).toISOString() }),
            },
            deps.session,
          );
          return session.bind(new WorkspaceProtocol(session, deps));
        },
      };
    },
  };
}
