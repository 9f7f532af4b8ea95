import type { FastifyBaseLogger } from 'fastify';
import type { Authenticator } from '../../modules/auth/authenticator.js';
import type { Principal } from '../../modules/auth/principal.js';
import type { Metrics } from '../../modules/ops/metrics.js';
import { CLOSE_SESSION_ENDED, CLOSE_TOKEN_EXPIRED } from '../../protocol/workspace.js';
import type { AccessRevokedEvent } from '../../protocol/workspace-events.js';
import type { Hub, Subscriber } from '../../realtime/hub.js';
import { CLOSE_FLOOD, FrameLimiter, type Verdict } from './frame-limiter.js';
import type { Heartbeating } from './heartbeat.js';
import { fieldsOf, frameOf, type Frame, type OutValue } from './out-frame.js';
import type { SocketSink } from './sink.js';
import type { GroupStream } from './stream.js';

/** What a socket's protocol does with the session's traffic (one per socket door). */
export interface ProtocolHandler {
  /** A client frame, as ws received it. Never throws. */
  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void;
  /** A frame of the session's org or user channel; returns the bytes written (0: dropped). */
  onChannelFrame(frame: Frame): number;
  /**
   * The user lost a group (`removed`) or changed role (`role`, the session's principal already
   * updated): end what it may no longer hold.
   */
  onAccessChanged(e: AccessRevokedEvent): Promise<void>;
  /** The socket is open and the session listens on its channels. */
  start(): void | Promise<void>;
}

export interface SessionDeps {
  hub: Hub;
  metrics: Metrics;
  log: FastifyBaseLogger;
  rateLimit: number;
  /** The user as stored now (role changes), or undefined once deleted. */
  currentUser(
    orgId: string,
    userId: string,
  ): Promise<{ role: 'admin' | 'member'; username: string } | undefined>;
}

/** Who a session speaks for: the principal that opened it, its token's expiry and session. */
export interface SessionIdentity {
  principal: Principal;
  /** When the access token expires (unix seconds), if it does. */
  expiresAt: number | undefined;
  /** The login session (refresh-token family) of the token, so that its logout ends it. */
  sessionId: string | undefined;
}

export interface SessionOptions extends SessionIdentity {
  id: string;
  /** The org and user channels it listens on (groups are its streams). */
  channels: string[];
  /** How its closes are worded for the client. */
  reasons: { expired: string; loggedOut: string };
  /** A frame sent shortly before the token expires, so that the client can renew in-band. */
  expiryWarning?: ((expiresAt: number) => Frame) | undefined;
}

/** The warning comes this long before expiry (or halfway through a shorter token life). */
const WARN_BEFORE_MS = 60_000;
/** setTimeout holds at most 2^31-1 ms (~24.8 days): a longer token life re-arms when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One socket: the authenticated user, its token lifetime and revocation, its one rate limiter
 * (every frame kind), its subscriptions, its outgoing sink, its heartbeat state.
 *
 * Guarantees: it is closed with 4001 when its token expires (unless `renew` brought a fresh
 * one), with 4003 when its user is deleted or its login session logs out (on any node: the
 * `access.revoked` event of the user channel), with 1008 when its client floods; client frames
 * given to `serial` run one at a time in arrival order; after `close` nothing more is written
 * and every stream has stopped.
 */
export class Session implements Subscriber, Heartbeating {
  readonly id: string;
  readonly streams = new Map<string, GroupStream>();
  private identity: SessionIdentity;
  private handler: ProtocolHandler | undefined;
  private readonly limiter: FrameLimiter;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private warnTimer: NodeJS.Timeout | undefined;
  private expireTimer: NodeJS.Timeout | undefined;
  lastPingAt = 0;
  awaitingPong = false;

  constructor(
    readonly sink: SocketSink,
    private readonly opts: SessionOptions,
    private readonly deps: SessionDeps,
  ) {
    this.id = opts.id;
    this.identity = {
      principal: opts.principal,
      expiresAt: opts.expiresAt,
      sessionId: opts.sessionId,
    };
    this.limiter = new FrameLimiter(deps.rateLimit);
  }

  get principal(): Principal {
    return this.identity.principal;
  }
  get sessionId(): string | undefined {
    return this.identity.sessionId;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  get ws() {
    return this.sink.ws;
  }
  get closeCode(): number | undefined {
    return this.sink.closeCode;
  }

  /** Sets the protocol; once, before `start`. */
  bind(handler: ProtocolHandler): this {
    this.handler = handler;
    return this;
  }

  /** Listens on its channels, arms the token expiry and starts the protocol. */
  start(): void | Promise<void> {
    for (const c of this.opts.channels) this.deps.hub.join(c, this);
    this.arm();
    return this.handler?.start();
  }

  /** A client frame (the server calls it for every ws `message`). */
  receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    this.awaitingPong = false;
    this.handler?.onFrame(data, isBinary);
  }

  /**
   * Takes one frame of `kind` from the session's limiter. A flood closes the socket (1008);
   * `limited` is for the protocol to answer `rate_limited` in its own frame shape.
   */
  take(kind: 'frame' | 'ping'): Verdict {
    const verdict = this.limiter.take(kind);
    if (verdict === 'flood') this.close(CLOSE_FLOOD, 'sending far over the rate limit');
    else if (verdict === 'limited')
      this.deps.metrics.messagesRejected.inc({ code: 'rate_limited' });
    return verdict;
  }

  /** Runs `work` after every earlier one: replies and stores keep the client's order. */
  serial(work: () => Promise<void>): void {
    this.chain = this.chain.then(work);
  }

  /** A reply or event for this socket alone. */
  send(value: OutValue): void {
    this.sink.send(frameOf(value));
  }

  /** Org and user channel frames (the hub calls it). */
  deliver(frame: Frame): number {
    if (this.closed) return 0;
    if (frame.type === 'access.revoked') void this.onAccessEvent(frame);
    return this.handler?.onChannelFrame(frame) ?? 0;
  }

  /** A fresh token of the same user (an `auth` frame) extends the socket's life. */
  renew(next: SessionIdentity): void {
    this.identity = {
      principal: next.principal,
      expiresAt: next.expiresAt,
      sessionId: next.sessionId ?? this.identity.sessionId,
    };
    this.arm();
  }

  /** Closes with a code of ours; stops every stream and listens to nothing more. Idempotent. */
  close(code: number, reason: string): void {
    this.detach();
    this.sink.close(code, reason);
  }

  /** Stops receiving (the socket closed, or is closing). Idempotent. */
  detach(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.warnTimer);
    clearTimeout(this.expireTimer);
    for (const c of this.opts.channels) this.deps.hub.leave(c, this);
    for (const s of [...this.streams.values()]) s.stop();
    this.streams.clear();
  }

  ping(): void {
    this.sink.ws.ping();
  }
  terminate(code: number): void {
    this.sink.terminate(code);
  }

  private arm(): void {
    clearTimeout(this.warnTimer);
    clearTimeout(this.expireTimer);
    const exp = this.identity.expiresAt;
    if (exp === undefined || this.closed) return;
    const left = exp * 1000 - Date.now();
    const warning = this.opts.expiryWarning;
    const warnIn = left - Math.min(WARN_BEFORE_MS, left / 2);
    if (warning && warnIn <= MAX_TIMER_MS) {
      this.warnTimer = setTimeout(() => this.sink.send(warning(exp)), Math.max(0, warnIn));
      this.warnTimer.unref();
    }
    this.expireTimer = setTimeout(
      () =>
        Date.now() >= exp * 1000
          ? this.close(CLOSE_TOKEN_EXPIRED, this.opts.reasons.expired)
          : this.arm(),
      Math.min(MAX_TIMER_MS, Math.max(0, left)),
    );
    this.expireTimer.unref();
  }

  /** Whether the login session ended (or the API key was revoked) while being authorized. */
  endedMeanwhile(auth: Pick<Authenticator, 'sessionEnded' | 'keyRevoked'>): void {
    const p = this.identity.principal;
    if (
      auth.sessionEnded(p.kind === 'user' ? this.identity.sessionId : undefined) ||
      (p.kind === 'apiKey' && auth.keyRevoked(p.id))
    )
      this.close(CLOSE_SESSION_ENDED, this.opts.reasons.loggedOut);
  }

  /** An `access.revoked` event on the user channel, from whichever node made the change. */
  private async onAccessEvent(frame: Frame): Promise<void> {
    const e = fieldsOf(frame) as Partial<AccessRevokedEvent>;
    const p = this.identity.principal;
    try {
      switch (e.reason) {
        case 'deleted':
          return this.close(CLOSE_SESSION_ENDED, 'user deleted');
        case 'logout':
          // Without a session id every session of the user ended (refresh-token reuse).
          if (e.session_id === undefined || e.session_id === this.identity.sessionId)
            this.close(CLOSE_SESSION_ENDED, this.opts.reasons.loggedOut);
          return;
        case 'role': {
          if (p.kind !== 'user') return;
          const row = await this.deps.currentUser(p.orgId, p.id);
          if (!row) return this.close(CLOSE_SESSION_ENDED, 'user deleted');
          if (this.closed) return;
          this.identity = {
            ...this.identity,
            principal: { ...p, role: row.role, username: row.username },
          };
          return await this.handler?.onAccessChanged(e as AccessRevokedEvent);
        }
        case 'removed':
          return await this.handler?.onAccessChanged(e as AccessRevokedEvent);
      }
    } catch (err) {
      this.deps.log.warn({ err, conn: this.id }, 'access event not applied');
    }
  }
}
