import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { Ajv } from 'ajv';
import { isDatabaseUnavailable } from '../db/database.js';
import { AppError } from '../errors.js';
import type { UserPrincipal } from '../modules/auth/principal.js';
import { DM_COPY_TYPE } from '../modules/dms/dms.copies.js';
import type { SeedDmService } from '../modules/dms/seed-dms.service.js';
import type { Metrics } from '../modules/ops/metrics.js';
import { SeedDmFrame } from '../protocol/seed-dms.js';
import { CLOSE_SESSION_ENDED } from '../protocol/workspace.js';
import type { AccessRevokedEvent } from '../protocol/workspace-events.js';
import { channels } from '../realtime/channels.js';
import type { Frame, Hub, Subscriber } from '../realtime/hub.js';
import { PONG } from './frames.js';
import { corkForThisTurn, rawSocket, textFrame } from './wire.js';
import { CLOSE_FLOOD, FrameLimiter } from './frame-limiter.js';

export interface DmContext {
  id: string;
  principal: UserPrincipal;
  clientId: string | null;
  /** When the access token that opened the socket expires (unix seconds), if it does. */
  expiresAt: number | undefined;
  sessionId: string | undefined;
}

export interface DmConnectionDeps {
  hub: Hub;
  seedDms: SeedDmService;
  metrics: Metrics;
  log: FastifyBaseLogger;
  rateLimit: number;
  maxBacklogBytes: number;
}

type ErrorCode = 'bad_request' | 'payload_too_large' | 'rate_limited' | 'unavailable' | 'not_found';

const ajv = new Ajv({ coerceTypes: false, allErrors: false, strict: false });
const checkMessage = ajv.compile(SeedDmFrame.anyOf[0]);
const BACKLOG_CLOSE_GRACE_MS = 5000;
/** What `parseJson` returns for text that is not JSON. */
const INVALID = Symbol('invalid JSON');

function parseJson(data: Buffer | ArrayBuffer | Buffer[]): unknown {
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID;
  }
}
const SETTLED: Promise<void> = Promise.resolve();

/**
 * The seed's DM socket, `/ws/dm/{userId}`: every DM to or from its user, in the seed's frame
 * shape, on whichever node it was sent. It listens on the user's channel, where every stored
 * DM message is copied for both of its users (`dm.message`, see DmCopies), so a DM created
 * after the socket opened reaches it too. Sends go through the seed DM service: the same
 * conversations, store, idempotency and policies as every other door to DMs. Frames from one
 * client are stored one at a time, in the order sent.
 */
export class DmConnection implements Subscriber {
  private closed = false;
  private chain = SETTLED;
  private readonly limiter: FrameLimiter;
  private readonly raw: Socket | undefined;
  private readonly channel: string;
  lastPingAt = 0;
  awaitingPong = false;
  closeCode: number | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly ctx: DmContext,
    private readonly deps: DmConnectionDeps,
  ) {
    this.raw = rawSocket(ws);
    this.limiter = new FrameLimiter(deps.rateLimit);
    this.channel = channels.user(ctx.principal.orgId, ctx.principal.id);
  }

  get id(): string {
    return this.ctx.id;
  }
  get expiresAt(): number | undefined {
    return this.ctx.expiresAt;
  }

  start(): void {
    this.deps.hub.join(this.channel, this);
  }

  deliver(frame: Frame): number {
    if (this.closed) return 0;
    if (frame.type === 'access.revoked') {
      this.onAccess(frame.text);
      return 0;
    }
    if (frame.type !== DM_COPY_TYPE) return 0;
    return this.write(frame);
  }

  private onAccess(text: string) {
    let e: AccessRevokedEvent;
    try {
      e = JSON.parse(text) as AccessRevokedEvent;
    } catch {
      return;
    }
    if (e.reason === 'deleted') this.closeWith(CLOSE_SESSION_ENDED, 'user deleted');
    else if (
      e.reason === 'logout' &&
      (e.session_id === undefined || e.session_id === this.ctx.sessionId)
    )
      this.closeWith(CLOSE_SESSION_ENDED, 'this session was logged out');
  }

  private write(frame: Frame): number {
    if (this.closed) return 0;
    if (this.raw && this.ws.readyState === this.ws.OPEN) {
      corkForThisTurn(this.raw);
      this.raw.write((frame.wire ??= textFrame(frame.data)));
    } else {
      this.ws.send(frame.data, { binary: false });
    }
    if (this.ws.bufferedAmount > this.deps.maxBacklogBytes) {
      this.deps.metrics.wsBacklogCloses.inc();
      this.closeWith(1013, 'too far behind, reconnect');
      setTimeout(() => this.ws.terminate(), BACKLOG_CLOSE_GRACE_MS).unref();
    }
    return frame.data.length;
  }

  private sendText(text: string) {
    if (!this.closed) this.ws.send(text);
  }

  private reject(code: ErrorCode, message: string, clientMsgId: string | null) {
    this.deps.metrics.messagesRejected.inc({ code });
    this.sendText(JSON.stringify({ type: 'error', code, message, client_msg_id: clientMsgId }));
  }

  closeWith(code: number, reason: string) {
    this.closeCode ??= code;
    this.detach();
    this.ws.close(code, reason);
  }

  /** Leaves the user's channel; called on close. Idempotent. */
  detach() {
    if (this.closed) return;
    this.closed = true;
    this.deps.hub.leave(this.channel, this);
  }

  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
    const value = isBinary ? undefined : parseJson(data);
    const f =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    const rawId = f?.['client_msg_id'];
    const clientMsgId = typeof rawId === 'string' ? rawId : null;
    // Every frame takes from the socket's one bucket, pings from their own.
    const verdict = this.limiter.take(f?.['type'] === 'ping' ? 'ping' : 'frame');
    if (verdict === 'flood') return this.closeWith(CLOSE_FLOOD, 'sending far over the rate limit');
    if (verdict === 'limited')
      return this.reject('rate_limited', 'sending too fast, slow down', clientMsgId);
    if (isBinary) return this.reject('bad_request', 'frames must be JSON text, not binary', null);
    if (value === INVALID) return this.reject('bad_request', 'frame is not valid JSON', null);
    if (!f) return this.reject('bad_request', 'frame must be a JSON object', null);
    if (f['type'] === 'ping') return this.sendText(PONG);
    if (!checkMessage(f)) {
      const e = checkMessage.errors?.[0];
      const field =
        e?.instancePath.slice(1) ||
        (e?.params as { missingProperty?: string } | undefined)?.missingProperty ||
        'frame';
      return this.reject('bad_request', `${field} ${e?.message ?? 'is invalid'}`, clientMsgId);
    }
    const { content, recipient_id: recipientId } = f;
    this.chain = this.chain.then(() => this.store(recipientId, content, clientMsgId));
  }

  private async store(recipientId: string, content: string, clientMsgId: string | null) {
    const p = this.ctx.principal;
    try {
      const r = await this.deps.seedDms.send(
        p,
        p.id,
        recipientId,
        {
          content,
          ...(clientMsgId !== null && { client_msg_id: clientMsgId }),
          client_id: this.ctx.clientId,
        },
        'ws',
      );
      // A repeated client_msg_id: the original again, to this socket only (nothing was sent).
      if (!r.created) this.sendText(JSON.stringify(r.message));
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        const code: ErrorCode =
          err.code === 'payload_too_large' || err.code === 'not_found' ? err.code : 'bad_request';
        return this.reject(code, err.message, clientMsgId);
      }
      if (!isDatabaseUnavailable(err))
        this.deps.log.error({ err, conn: this.ctx.id }, 'direct message store failed');
      this.reject(
        'unavailable',
        'the message could not be stored, nothing was sent; retry',
        clientMsgId,
      );
    }
  }
}
