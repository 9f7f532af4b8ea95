import type { FastifyBaseLogger } from 'fastify';
import type { UserPrincipal } from '../../modules/auth/principal.js';
import { DM_COPY_TYPE } from '../../modules/dms/dms.copies.js';
import type { SeedDmService } from '../../modules/dms/seed-dms.service.js';
import type { Metrics } from '../../modules/ops/metrics.js';
import { SeedDmFrame } from '../../protocol/seed-dms.js';
import { channels } from '../../realtime/channels.js';
import { textOf, type Frame } from '../engine/out-frame.js';
import { clientError, compileFrame, decodeFrame, describe, NOT_STORED } from '../engine/parse.js';
import type { Admission, OpenSocket, SocketRoute } from '../engine/server.js';
import { Session, type ProtocolHandler, type SessionDeps } from '../engine/session.js';
import { clientIdOf, decode, UpgradeRefused } from '../engine/upgrade.js';

export interface DmSeedDeps {
  seedDms: SeedDmService;
  metrics: Metrics;
  log: FastifyBaseLogger;
  session: SessionDeps;
}

type ErrorCode = 'bad_request' | 'payload_too_large' | 'rate_limited' | 'unavailable' | 'not_found';
const CLIENT_CODES = ['payload_too_large', 'not_found'] as const;

/** The seed's DM socket: `/ws/dm/{userId}`, or `/ws/dm` for the token's user. */
const PATH = /^\/ws\/dm(?:\/([^/]+))?\/?$/;
const message = compileFrame<{ content: string; recipient_id: string; client_msg_id?: string }>(
  SeedDmFrame.anyOf[0],
);

/**
 * The seed's DM socket over the engine: a session over its user's DMs and no stream. It listens
 * on the user's channel, where every stored DM message is copied for both of its users
 * (`dm.message`, see DmCopies), so a DM created after the socket opened reaches it too. Sends
 * go through the seed DM service: the same conversations, store, idempotency and policies as
 * every other door to DMs. Frames from one client are stored one at a time, in its order.
 */
class DmSeedProtocol implements ProtocolHandler {
  constructor(
    private readonly session: Session,
    private readonly principal: UserPrincipal,
    private readonly clientId: string | null,
    private readonly deps: DmSeedDeps,
  ) {}

  start(): void {}

  onChannelFrame(frame: Frame): number {
    return frame.type === DM_COPY_TYPE ? this.session.sink.send(frame) : 0;
  }

  /** A lost group or role changes nothing here: DMs are between users of the org. */
  async onAccessChanged(): Promise<void> {}

  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const d = decodeFrame(data, isBinary);
    const f = d.ok ? d.fields : undefined;
    const rawId = f?.['client_msg_id'];
    const clientMsgId = typeof rawId === 'string' ? rawId : null;
    // Every frame takes from the socket's one bucket, pings from their own.
    const verdict = this.session.take(f?.['type'] === 'ping' ? 'ping' : 'frame');
    if (verdict === 'flood') return;
    if (verdict === 'limited')
      return this.error('rate_limited', 'sending too fast, slow down', clientMsgId);
    if (!d.ok) return this.reject('bad_request', d.message, null);
    if (d.fields['type'] === 'ping') return this.session.send({ type: 'pong' });
    const m = d.fields;
    if (!message.check(m))
      return this.reject('bad_request', describe(message.errors()[0]), clientMsgId);
    const { content, recipient_id: recipientId } = m;
    this.session.serial(() => this.store(recipientId, content, clientMsgId));
  }

  private error(code: ErrorCode, message: string, clientMsgId: string | null) {
    this.session.send({ type: 'error', code, message, client_msg_id: clientMsgId });
  }

  private reject(code: ErrorCode, message: string, clientMsgId: string | null) {
    this.deps.metrics.messagesRejected.inc({ code });
    this.error(code, message, clientMsgId);
  }

  private async store(recipientId: string, content: string, clientMsgId: string | null) {
    const p = this.principal;
    try {
      const r = await this.deps.seedDms.send(
        p,
        p.id,
        recipientId,
        {
          content,
          ...(clientMsgId !== null && { client_msg_id: clientMsgId }),
          client_id: this.clientId,
        },
        'ws',
      );
      // A repeated client_msg_id: the original again, to this socket only (nothing was sent).
      if (!r.created) this.session.sink.send(textOf('message', JSON.stringify(r.message)));
    } catch (err) {
      const e = clientError(err, CLIENT_CODES, NOT_STORED, {
        logger: this.deps.log,
        what: 'direct message store failed',
        context: { conn: this.session.id },
      });
      this.reject(e.code, e.message, clientMsgId);
    }
  }
}

/** The token's user must be `userId` (403 otherwise, the operator included: it has no DMs). */
export function dmSeedRoute(deps: DmSeedDeps): SocketRoute {
  return {
    matches: (pathname) => PATH.test(pathname),
    async authorize(_req, url, principal): Promise<Admission> {
      const m = PATH.exec(url.pathname)!;
      if (principal.kind !== 'user') {
        throw new UpgradeRefused('forbidden', 'direct messages are between users');
      }
      const userId = m[1] === undefined ? principal.id : decode(m[1]).toLowerCase();
      if (userId !== principal.id.toLowerCase()) {
        throw new UpgradeRefused('forbidden', 'you may only open your own direct messages');
      }
      const clientId = clientIdOf(url);
      const p = principal;
      return {
        quotaUser: { orgId: p.orgId, userId: p.id, of: 'user' },
        backlogReason: 'too far behind, reconnect',
        open: ({ id, sink }: OpenSocket) => {
          const session = new Session(
            sink,
            {
              id,
              principal: p,
              expiresAt: p.expiresAt,
              sessionId: p.sessionId,
              channels: [channels.user(p.orgId, p.id)],
              reasons: {
                expired: 'access token expired: reconnect with a fresh token',
                loggedOut: 'this session was logged out',
              },
            },
            deps.session,
          );
          const user: UserPrincipal = {
            kind: 'user',
            id: p.id,
            orgId: p.orgId,
            role: p.role,
            username: p.username,
          };
          return session.bind(new DmSeedProtocol(session, user, clientId, deps));
        },
      };
    },
  };
}
