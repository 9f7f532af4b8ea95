import type { FastifyBaseLogger } from 'fastify';
import type { GroupAccess } from '../../modules/groups/groups.service.js';
import type { MessageService } from '../../modules/messages/messages.service.js';
import type { Metrics } from '../../modules/ops/metrics.js';
import type { Hub, Subscriber } from '../../realtime/hub.js';
import type { PresenceSocket, PresenceTracker } from '../../realtime/presence-events.js';
import type { Frame } from './out-frame.js';
import type { Sink } from './sink.js';
import { Typing } from './typing.js';

export interface StreamDeps {
  hub: Hub;
  messages: Pick<MessageService, 'lastSeq' | 'replayPage'>;
  metrics: Metrics;
  log: FastifyBaseLogger;
  maxBacklogBytes: number;
  presence?: PresenceTracker | undefined;
}

export interface StreamOptions {
  /** The group as admitted for the session's principal (what the message service takes). */
  access: GroupAccess;
  /** The group as the client named it (the id in its frames). */
  groupId: string;
  channel: string;
  /** Replay what follows this seq first; undefined starts from now. */
  sinceSeq: number | undefined;
  /** This subscription as presence sees it (a user's); none for the operator. */
  presence: PresenceSocket | undefined;
  /** Who types here (a user's subscription on `/ws`). */
  typist?: { userId: string; username: string } | undefined;
}

const REPLAY_PAGE = 500;
/** The buffer of every live stream: only a stream catching up pushes to its buffer. */
const NO_FRAMES: Frame[] = [];
const SETTLED: Promise<void> = Promise.resolve();

/**
 * One group subscription of a session. Live group frames arrive through the hub already in
 * seq order; while the stream is still replaying (`since_seq`) they are held, and once the
 * replay has caught up they are flushed, dropping what the replay already sent, so the sink
 * sees every seq once, in order, with no gap. What is held is bounded by the backlog bound
 * (past it the sink is closed with 1013); a replay that fails closes it with 1011.
 */
export class GroupStream implements Subscriber {
  /** The last group seq handed to the sink. */
  private lastSeq = 0;
  private catchingUp = true;
  private buffer: Frame[] = [];
  private bufferBytes = 0;
  private stopped = false;
  private positioned = false;
  private positionWaiters: Array<() => void> | undefined;
  readonly typing: Typing | undefined;

  constructor(
    private readonly sink: Sink,
    readonly opts: StreamOptions,
    private readonly deps: StreamDeps,
  ) {
    const { typist } = opts;
    this.typing =
      typist &&
      new Typing(deps.hub, opts.channel, {
        group_id: opts.groupId,
        user_id: typist.userId,
        username: typist.username,
      });
  }

  get access(): GroupAccess {
    return this.opts.access;
  }
  get groupId(): string {
    return this.opts.groupId;
  }
  get orgId(): string {
    return this.opts.access.orgId;
  }
  get isPrivate(): boolean {
    return this.opts.access.group.private;
  }

  /** The last group seq handed to the sink (replayed or live). */
  get deliveredSeq(): number {
    return this.lastSeq;
  }

  /**
   * Resolves once the stream's starting point is set: from then on the sink receives every
   * seq above `deliveredSeq`, in order, unless it stops. Waiters are made only when asked.
   */
  whenPositioned(): Promise<void> {
    if (this.positioned || this.stopped) return SETTLED;
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
    const { channel, access } = this.opts;
    // Presence first: the subscription does not hear of its own arrival.
    if (this.opts.presence) this.deps.presence?.connected(this.opts.presence);
    hub.join(channel, this);
    const since = this.opts.sinceSeq;
    const known = hub.deliveredSeq(channel);
    if (known !== undefined && (since === undefined || since === known)) {
      // Other sockets of this node follow the group: start where they are, without a query
      // (an upgrade storm on a busy group would otherwise cost two queries per socket).
      this.lastSeq = known;
      this.markPositioned();
      this.goLive();
      // The hub's view may be behind the store (a node stopped between its commit and its
      // publish): checked in the background, batched with the other sockets that start now,
      // and anything newer is delivered in order.
      hub.verify(channel);
      return;
    }
    try {
      const current = (await messages.lastSeq(access)) ?? 0;
      // A resume point past the end (another database, a typo) replays from the end.
      this.lastSeq = since === undefined || since > current ? current : since;
      this.markPositioned();
      await this.replay();
      for (;;) {
        if (this.stopped) return;
        hub.seed(channel, this.lastSeq);
        // Frames held while replaying are in seq order; a hole before the first one (the
        // broker subscription was not yet active, say) is read from the store, then flushed.
        while (this.buffer.length && this.buffer[0]!.seq! <= this.lastSeq) this.shift();
        // Live frames follow the first one held, or, with none held, the hub's last seq: a
        // stream that started with another one may have replayed less than the hub moved on
        // (its replay answered later than the other's, which seeded the hub past it).
        const liveFrom = this.buffer.length
          ? this.buffer[0]!.seq! - 1
          : (hub.deliveredSeq(channel) ?? this.lastSeq);
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
      this.deps.log.warn({ err, group: this.groupId }, 'socket replay failed');
      this.markPositioned();
      if (!this.stopped) this.sink.close(1011, 'replay failed, reconnect');
    }
  }

  /** Ends catching up: what was held goes out, and frames go straight to the sink from now. */
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
      const page = await this.deps.messages.replayPage(this.opts.access, this.lastSeq, REPLAY_PAGE);
      if (this.stopped) return;
      let bytes = 0;
      const full = page.length === REPLAY_PAGE;
      let sent: Promise<void> | undefined;
      for (let i = 0; i < page.length; i++) {
        const f = page[i]!;
        this.lastSeq = f.seq!;
        if (full && i === page.length - 1) {
          // The next page is read once this one has left: a long replay never piles up.
          sent = new Promise((resolve) => (bytes += this.sink.send(f, () => resolve())));
        } else {
          bytes += this.sink.send(f);
        }
      }
      if (page.length) this.deps.metrics.deliveries.inc(page.length);
      if (bytes) this.deps.metrics.bytesOut.inc(bytes);
      if (!full) return;
      await sent;
    }
  }

  /** A frame of the group channel (the hub calls it, in seq order). */
  deliver(frame: Frame): number {
    if (this.stopped) return 0;
    if (frame.seq !== undefined) {
      if (this.catchingUp) {
        this.buffer.push(frame);
        this.bufferBytes += frame.data.length;
        if (this.bufferBytes > this.deps.maxBacklogBytes) {
          this.stop();
          this.sink.close(1013, 'too far behind, reconnect with since_seq');
        }
        return 0;
      }
      if (frame.seq <= this.lastSeq) return 0;
      // A seq the sink does not take (a change without events=changes) is passed over.
      this.lastSeq = frame.seq;
    }
    return this.sink.send(frame);
  }

  /** Leaves the group channel; nothing more reaches the sink. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.markPositioned();
    this.buffer = NO_FRAMES;
    this.typing?.stop();
    this.deps.hub.leave(this.opts.channel, this);
    if (this.opts.presence) this.deps.presence?.disconnected(this.opts.presence);
  }
}
