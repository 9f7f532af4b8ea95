import type { Broker, BrokerMessage } from './broker.js';
import { parseChannel } from './channels.js';
import { makeFrame, type Frame } from './frame.js';

export { makeFrame, type Frame } from './frame.js';

/**
 * A local socket as the hub sees it. `deliver` is synchronous, never throws and returns the
 * bytes it wrote (0 when it dropped the frame: a duplicate, a socket catching up or closing).
 */
export interface Subscriber {
  deliver(frame: Frame): number;
}

/** Where gap fills read from: group messages with seq > afterSeq, oldest first, encoded. */
export interface GapSource {
  framesAfter(orgId: string, groupId: string, afterSeq: number, limit: number): Promise<Frame[]>;
}

/** A group's newest committed seq, as the store has it (several groups in one read). */
export type NewestSeqs = (
  groups: ReadonlyArray<{ orgId: string; groupId: string }>,
) => Promise<Array<{ orgId: string; groupId: string; seq: number }>>;

export interface HubOptions {
  broker: Broker;
  store: GapSource;
  /**
   * Where `verify` and the audit read the newest seqs. Without it the hub trusts what it was
   * handed (tests of the ordering alone).
   */
  newest?: NewestSeqs;
  /** Groups that delivered nothing this long are checked against the store (default 5 s). */
  auditEveryMs?: number;
  /** How long a gap may stay open before it is filled from the store. */
  gapWaitMs?: number;
  onDelivered?(frames: number, bytes: number): void;
  onGapFill?(): void;
  onError?(err: unknown, what: string): void;
}

interface GroupOrder {
  orgId: string;
  groupId: string;
  /** The last seq handed to subscribers; undefined until a socket tells the hub where to start. */
  lastSeq: number | undefined;
  /** Frames that arrived ahead of a gap, by seq. */
  pending: Map<number, Frame>;
  timer: NodeJS.Timeout | undefined;
  filling: boolean;
  /** When this group last delivered a frame (ms): the audit checks only quiet groups. */
  activeAt: number;
  /** A seq learnt committed while a fill ran: the fill runs once more after. */
  fillAgainTo?: number | undefined;
}

interface Channel {
  subs: Set<Subscriber>;
  order: GroupOrder | undefined;
}

/**
 * The `type` of a frame from a node that did not carry it beside the text (a node of the
 * previous version during a rolling upgrade): read once here, at the seam, never by sockets.
 */
function typeOfText(text: string): string {
  try {
    const v: unknown = JSON.parse(text);
    const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
    return typeof t === 'string' ? t : '';
  } catch {
    return '';
  }
}

const FILL_PAGE = 500;
/** Groups per newest-seq read (one statement each). */
const VERIFY_BATCH = 500;
/** Past this many frames held behind a gap, the hub stops waiting and fills now. */
const MAX_PENDING = 10_000;

/**
 * This node's sockets by channel, and the per-group ordering in front of them.
 *
 * Guarantees: every subscriber of a group channel receives that group's frames in `seq` order
 * with no gap and no duplicate (a frame that arrives ahead of a missing seq waits
 * `gapWaitMs`, then the missing ones are read from the store); each frame is encoded once and
 * handed to every subscriber synchronously. The node holds a broker subscription on a channel
 * exactly while it has a local subscriber on it. Nothing here is O(number of channels)
 * except the resync after a broker reconnection.
 */
export class Hub {
  private readonly channels = new Map<string, Channel>();
  private readonly gapWaitMs: number;
  private closed = false;
  /** Group channels waiting for the next newest-seq read (coalesced: one read per batch). */
  private readonly toVerify = new Set<string>();
  private verifying = false;
  private readonly audit: NodeJS.Timeout | undefined;
  private readonly auditEveryMs: number;

  constructor(private readonly opts: HubOptions) {
    this.gapWaitMs = opts.gapWaitMs ?? 150;
    this.auditEveryMs = opts.auditEveryMs ?? 5000;
    opts.broker.onMessage((msg) => this.receive(msg));
    opts.broker.onResync(() => this.resync());
    if (opts.newest) {
      this.audit = setInterval(() => this.auditQuiet(), this.auditEveryMs);
      this.audit.unref();
    }
  }

  join(channel: string, sub: Subscriber): void {
    let ch = this.channels.get(channel);
    if (!ch) {
      const parsed = parseChannel(channel);
      ch = {
        subs: new Set(),
        order:
          parsed?.kind === 'group'
            ? {
                orgId: parsed.orgId,
                groupId: parsed.groupId,
                lastSeq: undefined,
                pending: new Map(),
                timer: undefined,
                filling: false,
                activeAt: Date.now(),
              }
            : undefined,
      };
      this.channels.set(channel, ch);
      this.opts.broker.subscribe(channel).catch((err) => this.opts.onError?.(err, 'subscribe'));
    }
    ch.subs.add(sub);
  }

  leave(channel: string, sub: Subscriber): void {
    const ch = this.channels.get(channel);
    if (!ch || !ch.subs.delete(sub) || ch.subs.size > 0) return;
    if (ch.order?.timer) clearTimeout(ch.order.timer);
    this.channels.delete(channel);
    this.opts.broker.unsubscribe(channel).catch((err) => this.opts.onError?.(err, 'unsubscribe'));
  }

  /**
   * Tells the hub the seq a group's subscribers already hold, when it does not know yet
   * (the first socket on the group, after its replay). Frames held meanwhile are released.
   */
  seed(channel: string, seq: number): void {
    const order = this.channels.get(channel)?.order;
    if (!order || order.lastSeq !== undefined) return;
    order.lastSeq = seq;
    this.drain(this.channels.get(channel)!, order);
  }

  /**
   * The last seq handed to a group channel's subscribers, once known. The hub hands every later
   * seq to every subscriber in order, so one that joins now and starts here misses nothing.
   */
  deliveredSeq(channel: string): number | undefined {
    return this.channels.get(channel)?.order?.lastSeq;
  }

  /**
   * Someone learnt that `seq` is committed in a group (a duplicate's original): if this node
   * has not delivered it, it is read from the store now instead of waiting for a publish
   * that may never come (its node stopped, Redis lost it).
   */
  expect(channel: string, seq: number): void {
    const ch = this.channels.get(channel);
    const order = ch?.order;
    if (!ch || !order || order.lastSeq === undefined || seq <= order.lastSeq) return;
    void this.fill(channel, ch, order, seq);
  }

  /**
   * Checks a group's delivered seq against the store's newest, soon and in one read with the
   * other groups asked about meanwhile (a resume that trusted this node's view, say): a
   * message this node never heard of is then read from the store and delivered in order.
   */
  verify(channel: string): void {
    if (!this.opts.newest || this.closed) return;
    if (this.channels.get(channel)?.order?.lastSeq === undefined) return;
    this.toVerify.add(channel);
    if (!this.verifying) {
      this.verifying = true;
      setImmediate(() => void this.runVerify());
    }
  }

  private async runVerify(): Promise<void> {
    try {
      while (this.toVerify.size > 0 && !this.closed) {
        const batch = [...this.toVerify].slice(0, VERIFY_BATCH);
        for (const c of batch) this.toVerify.delete(c);
        await this.verifyNow(batch);
      }
    } finally {
      this.verifying = false;
    }
  }

  private async verifyNow(names: string[]): Promise<void> {
    const wanted = new Map<string, string>();
    for (const name of names) {
      const order = this.channels.get(name)?.order;
      if (order) wanted.set(`${order.orgId}\u0000${order.groupId}`, name);
    }
    if (wanted.size === 0) return;
    let rows;
    try {
      rows = await this.opts.newest!(
        [...wanted.keys()].map((k) => {
          const [orgId, groupId] = k.split('\u0000') as [string, string];
          return { orgId, groupId };
        }),
      );
    } catch (err) {
      this.opts.onError?.(err, 'seq audit');
      return;
    }
    for (const r of rows) {
      const name = wanted.get(`${r.orgId}\u0000${r.groupId}`);
      if (name) this.expect(name, r.seq);
    }
  }

  /** Every group quiet for a whole period is verified: nothing stays behind the store for long. */
  private auditQuiet(): void {
    const quietSince = Date.now() - this.auditEveryMs;
    for (const [name, ch] of this.channels) {
      const o = ch.order;
      if (o && o.lastSeq !== undefined && !o.filling && o.activeAt <= quietSince) {
        this.verify(name);
      }
    }
  }

  /**
   * Delivers to this node's subscribers and hands the frame to the broker for the others.
   * `type` is the event's `type` field, carried beside the encoded text.
   */
  publish(channel: string, type: string, text: string, seq?: number): void {
    const msg: BrokerMessage =
      seq === undefined ? { channel, type, frame: text } : { channel, type, frame: text, seq };
    this.receive(msg);
    if (this.closed) return;
    // At most once across nodes: a broker that is down means local delivery only.
    this.opts.broker.publish(msg).catch((err) => this.opts.onError?.(err, 'publish'));
  }

  /** A frame from this node or from the broker. */
  receive(msg: BrokerMessage): void {
    const ch = this.channels.get(msg.channel);
    if (!ch) return;
    const frame = makeFrame(msg.type ?? typeOfText(msg.frame), msg.frame, msg.seq);
    const order = ch.order;
    if (!order || frame.seq === undefined) {
      this.deliverAll(ch, frame);
      return;
    }
    if (order.lastSeq !== undefined && frame.seq === order.lastSeq + 1 && !order.filling) {
      order.lastSeq = frame.seq;
      order.activeAt = Date.now();
      this.deliverAll(ch, frame);
      if (order.pending.size) this.drain(ch, order);
      return;
    }
    if (order.lastSeq !== undefined && frame.seq <= order.lastSeq) return; // already delivered
    order.pending.set(frame.seq, frame);
    if (order.lastSeq === undefined) return; // waiting for seed()
    if (order.pending.size > MAX_PENDING) void this.fill(msg.channel, ch, order);
    else this.armGapTimer(msg.channel, ch, order);
  }

  /** How many local subscribers a channel has (tests, metrics). */
  subscribers(channel: string): number {
    return this.channels.get(channel)?.subs.size ?? 0;
  }

  close(): void {
    this.closed = true;
    if (this.audit) clearInterval(this.audit);
    this.toVerify.clear();
    for (const ch of this.channels.values()) if (ch.order?.timer) clearTimeout(ch.order.timer);
    this.channels.clear();
  }

  private deliverAll(ch: Channel, frame: Frame): void {
    let n = 0;
    let bytes = 0;
    for (const sub of ch.subs) {
      const b = sub.deliver(frame);
      if (b > 0) {
        n++;
        bytes += b;
      }
    }
    if (n) this.opts.onDelivered?.(n, bytes);
  }

  /** Releases the frames that follow lastSeq without a hole. */
  private drain(ch: Channel, order: GroupOrder): void {
    if (order.lastSeq === undefined || order.filling) return;
    for (const seq of order.pending.keys()) if (seq <= order.lastSeq) order.pending.delete(seq);
    let next = order.pending.get(order.lastSeq + 1);
    while (next) {
      order.pending.delete(next.seq!);
      order.lastSeq = next.seq!;
      this.deliverAll(ch, next);
      next = order.pending.get(order.lastSeq + 1);
    }
    if (order.pending.size === 0 && order.timer) {
      clearTimeout(order.timer);
      order.timer = undefined;
    }
  }

  private armGapTimer(channel: string, ch: Channel, order: GroupOrder): void {
    if (order.timer || order.filling) return;
    order.timer = setTimeout(() => {
      order.timer = undefined;
      void this.fill(channel, ch, order);
    }, this.gapWaitMs);
    order.timer.unref();
  }

  /**
   * Reads the missing seqs from the store (the truth: committed seqs have no holes, since a
   * seq is taken under the group's row lock) and delivers them in order, then what waited.
   */
  private async fill(
    channel: string,
    ch: Channel,
    order: GroupOrder,
    /** A seq known to be committed: the fill runs at least that far. */
    upTo?: number,
  ): Promise<void> {
    if (order.lastSeq === undefined) return;
    if (order.filling) {
      // The running fill may have read before `upTo` committed: one more pass after it.
      if (upTo !== undefined) order.fillAgainTo = Math.max(order.fillAgainTo ?? 0, upTo);
      return;
    }
    order.activeAt = Date.now();
    if (order.timer) clearTimeout(order.timer);
    order.timer = undefined;
    order.filling = true;
    this.opts.onGapFill?.();
    try {
      for (;;) {
        const frames = await this.opts.store.framesAfter(
          order.orgId,
          order.groupId,
          order.lastSeq,
          FILL_PAGE,
        );
        if (this.channels.get(channel) !== ch) return; // everyone left meanwhile
        for (const f of frames) {
          if (f.seq === undefined || f.seq <= order.lastSeq) continue;
          order.lastSeq = f.seq;
          order.pending.delete(f.seq);
          this.deliverAll(ch, f);
        }
        const firstWaiting = Math.min(...order.pending.keys(), upTo ?? Infinity);
        if (frames.length < FILL_PAGE || !(order.lastSeq + 1 < firstWaiting)) break;
      }
      // Committed up to `upTo`, yet not in the store: purged by retention meanwhile.
      if (upTo !== undefined && order.lastSeq < upTo && !order.pending.size) order.lastSeq = upTo;
      // What the store no longer has (purged by retention) is skipped rather than awaited.
      if (order.pending.size && !order.pending.has(order.lastSeq + 1)) {
        order.lastSeq = Math.min(...order.pending.keys()) - 1;
      }
    } catch (err) {
      this.opts.onError?.(err, 'gap fill');
    } finally {
      order.filling = false;
    }
    if (this.channels.get(channel) !== ch) return;
    this.drain(ch, order);
    const again = order.fillAgainTo;
    order.fillAgainTo = undefined;
    if (again !== undefined && again > order.lastSeq!) void this.fill(channel, ch, order, again);
    else if (order.pending.size) this.armGapTimer(channel, ch, order);
  }

  /** After a broker reconnection anything may have been missed: catch every group up. */
  private resync(): void {
    for (const [name, ch] of this.channels) {
      if (ch.order && ch.order.lastSeq !== undefined) void this.fill(name, ch, ch.order);
    }
  }
}
