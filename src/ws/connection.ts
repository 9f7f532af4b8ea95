import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import { isDatabaseUnavailable } from '../db/database.js';
import type { GroupAccess } from '../modules/groups/groups.service.js';
import type { Author, MessageService } from '../modules/messages/messages.service.js';
import type { Metrics } from '../modules/ops/metrics.js';
import type { Frame, Hub, Subscriber } from '../realtime/hub.js';
import { PONG, errorFrame, parseClientFrame } from './frames.js';
import { corkForThisTurn, rawSocket, textFrame } from './wire.js';
import type { GroupSocketFilter } from './group-events.js';
import { seedBroadcast } from './seed-frames.js';
import { CLOSE_FLOOD, FrameLimiter } from './frame-limiter.js';

export interface ConnectionContext {
  id: string;
  orgId: string;
  groupId: string;
  /** The group as admitted for this socket's principal (what the message service takes). */
  access: GroupAccess;
  /** Channels this socket listens on: the group first, then the org and (for a user) the user. */
  groupChannel: string;
  otherChannels: string[];
  author: Author;
  sinceSeq: number | undefined;
  /** When the access token that opened the socket expires (unix seconds), if it does. */
  expiresAt?: number | undefined;
  /** The login session the token belongs to (a user's), so that logout can end the socket. */
  sessionId?: string | undefined;
  /**
   * Set on the seed's group socket: the frame types it sends (`events=`), and broadcasts in
   * the seed's shape. Unset (a workspace socket's lane): every frame, as it is.
   */
  events?: GroupSocketFilter | undefined;
}

export interface ConnectionDeps {
  hub: Hub;
  messages: MessageService;
  metrics: Metrics;
  log: FastifyBaseLogger;
  rateLimit: number;
  maxBacklogBytes: number;
}

// Text frames of bytes encoded once by the hub: ws only adds a header per socket.
const SEND_OPTS = { binary: false, compress: false, fin: true } as const;
const REPLAY_PAGE = 500;
/** The buffer of every live socket: only a socket catching up pushes to its buffer. */
const NO_FRAMES: Frame[] = [];
/** Where every socket's chain of stores starts (one shared promise, not one per socket). */
const SETTLED: Promise<void> = Promise.resolve();
const OPEN = 1; // WebSocket.OPEN
/** How long a socket closed for its backlog may take to take its close frame. */
const BACKLOG_CLOSE_GRACE_MS = 5000;

/**
 * One group socket. Live group frames arrive through the hub already in seq order; while the
 * socket is still replaying (`since_seq`) they are buffered, and the buffer is flushed once
 * the replay has caught up, dropping what the replay already sent, so the client sees every
 * seq once, in order, with no gap. Frames from one client are handled one at a time, so its
 * messages are stored in the order it sent them.
 */
export class Connection implements Subscriber {
  /** The last group seq written to this socket. */
  private lastSeq = 0;
  private catchingUp = true;
  private buffer: Frame[] = [];
  private bufferBytes = 0;
  private closed = false;
  private positioned = false;
  private positionWaiters: Array<() => void> | undefined;
  private chain = SETTLED;
  private readonly limiter: FrameLimiter;
  private readonly raw: Socket | undefined;
  lastPingAt = 0;
  awaitingPong = false;
  /** The code this server closed with (the close event reports the peer's answer). */
  closeCode: number | undefined;
  /** Acts on `access.revoked` events of the user channel (set by the gateway; shared). */
  onAccess: ((conn: Connection, text: string) => void) | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly ctx: ConnectionContext,
    private readonly deps: ConnectionDeps,
  ) {
    this.limiter = new FrameLimiter(deps.rateLimit);
    this.raw = rawSocket(ws);
  }

  get id(): string {
    return this.ctx.id;
  }
  get expiresAt(): number | undefined {
    return this.ctx.expiresAt;
  }

  /** The last group seq written to this socket (replayed or live). */
  get deliveredSeq(): number {
    return this.lastSeq;
  }

  /**
   * Resolves once the stream's starting point is set: from then on the socket carries every
   * seq above `deliveredSeq`, in order, unless it closes. Waiters are made only when asked.
   */
  whenPositioned(): Promise<void> {
    if (this.positioned || this.closed) return SETTLED;
    return new Promise((resolve) => (this.positionWaiters ??= []).push(resolve));
  }

  private markPositioned() {
    this.positioned = true;
    const waiters = this.positionWaiters;
    this.positionWaiters = undefined;
    waiters?.forEach((w) => w());
  }

  /** Subscribes, replays what the client missed, then goes live. */
  async start(): Promise<void> {
    const { hub, messages } = this.deps;
    const { orgId, groupId, groupChannel } = this.ctx;
    hub.join(groupChannel, this);
    for (const c of this.ctx.otherChannels) hub.join(c, this);
    const since = this.ctx.sinceSeq;
    const known = hub.deliveredSeq(groupChannel);
    if (known !== undefined && (since === undefined || since === known)) {
      // Other sockets of this node follow the group: start where they are, without a query
      // (an upgrade storm on a busy group would otherwise cost two queries per socket).
      this.lastSeq = known;
      this.markPositioned();
      this.goLive();
      // The hub's view may be behind the store (a node stopped between its commit and its
      // publish): checked in the background, batched with the other sockets that start now,
      // and anything newer is delivered in order.
      hub.verify(groupChannel);
      return;
    }
    try {
      const current = (await messages.lastSeq(this.ctx.access)) ?? 0;
      // A resume point past the end (another database, a typo) replays from the end.
      this.lastSeq = since === undefined || since > current ? current : since;
      this.markPositioned();
      await this.replay();
      for (;;) {
        if (this.closed) return;
        hub.seed(groupChannel, this.lastSeq);
        // Frames held while replaying are in seq order; a hole before the first one (the
        // broker subscription was not yet active, say) is read from the store, then flushed.
        while (this.buffer.length && this.buffer[0]!.seq! <= this.lastSeq) this.shift();
        // Live frames follow the first one held, or, with none held, the hub's last seq: a
        // socket that started with another one may have replayed less than the hub moved on
        // (its replay answered later than the other's, which seeded the hub past it).
        const liveFrom = this.buffer.length
          ? this.buffer[0]!.seq! - 1
          : (hub.deliveredSeq(groupChannel) ?? this.lastSeq);
        if (liveFrom > this.lastSeq) {
          const before = this.lastSeq;
          await this.replay();
          // Gone from the store (retention) is skipped, as the hub does, not awaited for ever.
          if (this.lastSeq === before) this.lastSeq = liveFrom;
          continue;
        }
        this.goLive();
        return;
      }
    } catch (err) {
      this.deps.log.warn({ err, orgId, groupId }, 'socket replay failed');
      this.markPositioned();
      this.closeWith(1011, 'replay failed, reconnect');
    }
  }

  /** Ends catching up: what was held goes out, and frames go straight to the socket from now. */
  private goLive() {
    this.catchingUp = false;
    const held = this.buffer;
    this.buffer = NO_FRAMES;
    this.bufferBytes = 0;
    for (const f of held) this.deliver(f);
  }

  private shift() {
    this.bufferBytes -= this.buffer.shift()!.data.length;
  }

  /** Sends stored messages after lastSeq page by page, waiting for each page to drain. */
  private async replay(): Promise<void> {
    for (;;) {
      const page = await this.deps.messages.replayPage(this.ctx.access, this.lastSeq, REPLAY_PAGE);
      if (this.closed) return;
      let bytes = 0;
      const full = page.length === REPLAY_PAGE;
      let sent: Promise<void> | undefined;
      for (let i = 0; i < page.length; i++) {
        const f = page[i]!;
        this.lastSeq = f.seq!;
        if (full && i === page.length - 1) {
          // The next page is read once this one has left: a long replay never piles up.
          sent = new Promise((resolve) =>
            this.wants(f) ? (bytes += this.write(f, () => resolve())) : resolve(),
          );
        } else if (this.wants(f)) {
          bytes += this.write(f);
        }
      }
      if (page.length) this.deps.metrics.deliveries.inc(page.length);
      if (bytes) this.deps.metrics.bytesOut.inc(bytes);
      if (!full) return;
      await sent;
    }
  }

  deliver(frame: Frame): number {
    if (this.closed) return 0;
    if (frame.seq !== undefined) {
      if (this.catchingUp) {
        this.buffer.push(frame);
        this.bufferBytes += frame.data.length;
        if (this.bufferBytes > this.deps.maxBacklogBytes) this.closeForBacklog();
        return 0;
      }
      if (frame.seq <= this.lastSeq) return 0;
      // A seq the socket does not take (a change without events=changes) is skipped.
      this.lastSeq = frame.seq;
    } else if (this.onAccess && frame.type === 'access.revoked') {
      this.onAccess(this, frame.text);
    }
    if (!this.wants(frame)) return 0;
    const events = this.ctx.events;
    if (events && frame.type === 'broadcast')
      return this.write(seedBroadcast(frame, this.ctx.groupId));
    return this.write(frame);
  }

  /** Whether this socket sends frames of this type (by the type beside the frame). */
  private wants(frame: Frame): boolean {
    return this.ctx.events?.wants(frame.type) ?? true;
  }

  private write(frame: Frame, sent?: () => void): number {
    if (this.closed) {
      sent?.();
      return 0;
    }
    // The prepared frame goes straight to the TCP socket while the socket is open (ws has
    // no queue of its own without compression, so order with its pings and closes holds).
    if (this.raw && this.ws.readyState === OPEN) {
      corkForThisTurn(this.raw);
      this.raw.write((frame.wire ??= textFrame(frame.data)), sent);
    } else {
      this.ws.send(frame.data, SEND_OPTS, sent);
    }
    if (this.ws.bufferedAmount > this.deps.maxBacklogBytes) this.closeForBacklog();
    return frame.data.length;
  }

  private sendText(text: string) {
    if (!this.closed) this.ws.send(text);
  }

  /** A slow reader is cut off alone: it stops receiving at once and gets 1013. */
  private closeForBacklog() {
    if (this.closed) return;
    this.deps.metrics.wsBacklogCloses.inc();
    this.detach();
    this.closeWith(1013, 'too far behind, reconnect with since_seq');
    setTimeout(() => this.ws.terminate(), BACKLOG_CLOSE_GRACE_MS).unref();
  }

  /** Closes with a code of ours, remembered for the disconnect metrics. */
  closeWith(code: number, reason: string) {
    this.closeCode ??= code;
    this.ws.close(code, reason);
  }

  /** Leaves every channel; called on close. Idempotent. */
  detach() {
    if (this.closed) return;
    this.closed = true;
    this.markPositioned();
    this.buffer = NO_FRAMES;
    this.deps.hub.leave(this.ctx.groupChannel, this);
    for (const c of this.ctx.otherChannels) this.deps.hub.leave(c, this);
  }

  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
    const cmd = parseClientFrame(data, isBinary);
    // Every frame kind takes from the socket's one bucket (pings from their own), malformed
    // ones included: each is answered, and answers are not free.
    const verdict = this.limiter.take(cmd.kind === 'ping' ? 'ping' : 'frame');
    if (verdict === 'flood') return this.closeWith(CLOSE_FLOOD, 'sending far over the rate limit');
    if (verdict === 'limited') {
      const id =
        cmd.kind === 'message'
          ? cmd.clientMsgId
          : cmd.kind === 'invalid'
            ? cmd.error.client_msg_id
            : null;
      return this.reject('rate_limited', 'sending too fast, slow down', id);
    }
    if (cmd.kind === 'ping') return this.sendText(PONG);
    if (cmd.kind === 'invalid')
      return this.reject(cmd.error.code, cmd.error.message, cmd.error.client_msg_id);
    const bad = this.deps.messages.checkContent(cmd.content);
    if (bad) {
      return this.reject(
        bad.code === 'payload_too_large' ? 'payload_too_large' : 'bad_request',
        bad.message,
        cmd.clientMsgId,
      );
    }
    this.chain = this.chain.then(() => this.store(cmd.content, cmd.clientMsgId));
  }

  private reject(
    code: Parameters<typeof errorFrame>[0],
    message: string,
    clientMsgId: string | null,
  ) {
    this.deps.metrics.messagesRejected.inc({ code });
    this.sendText(errorFrame(code, message, clientMsgId));
  }

  private async store(content: string, clientMsgId: string | null) {
    // Frames that arrived before the socket closed are still stored: the client sent them.
    const { orgId, groupId } = this.ctx;
    try {
      const stored = await this.deps.messages.store(
        this.ctx.access,
        { content, clientMsgId, clientId: this.ctx.author.clientId },
        'ws',
      );
      if (!stored) {
        this.closeWith(1008, 'the group no longer exists');
        return;
      }
      // A repeated client_msg_id: the original event again, to the sender only. If this
      // socket has not reached that seq yet, it is on its way in order, and sending it now
      // would put it ahead of the seqs before it.
      if (!stored.created && stored.message.seq <= this.lastSeq) this.sendText(stored.text);
    } catch (err) {
      if (!isDatabaseUnavailable(err))
        this.deps.log.error({ err, orgId, groupId }, 'message store failed');
      this.reject(
        'unavailable',
        'the message could not be stored, nothing was sent; retry',
        clientMsgId,
      );
    }
  }
}
