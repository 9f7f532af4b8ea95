import { randomUUID } from 'node:crypto';
import type { Broker, BrokerHandler, BrokerMessage } from './broker.js';
import {
  closeRedis,
  openRedis,
  REDIS_COMMAND_TIMEOUT_MS,
  type RedisClient,
  type RedisTarget,
} from './redis-connection.js';

export interface RedisBrokerOptions {
  target: RedisTarget;
  /** From `redisNamespace()`: prefixes every channel on the wire. */
  namespace: string;
  /** Told when the connection to Redis goes down or comes back (logs, metrics). */
  onStateChange?: (state: 'up' | 'down', reason?: string) => void;
}

const NODE_ID_LENGTH = 36;
/** A frame type that can sit in the header (no `|` or `;`); any other is left to the receiver. */
const WIRE_TYPE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The Redis broker: one connection publishes, another subscribes. On the wire a message is
 * `<node id>|<seq or empty>;<type>|<frame>`: the frame is not parsed or re-encoded, the node
 * id lets a node drop its own echoes, and the type travels beside the frame. A node of the
 * previous version (`<node id>|<seq or empty>|<frame>`, no type) is still understood, and it
 * drops ours (its seq no longer parses) rather than misreading them.
 *
 * Subscriptions are kept here (not only in ioredis) so that, after every reconnection, this
 * broker itself re-subscribes to exactly the wanted channels and only then fires `onResync`:
 * a gap fill that starts after the handlers run cannot miss a message published after it.
 * With `sharded`, it uses SSUBSCRIBE/SPUBLISH (channels hash by their `{org}` tag).
 */
export class RedisBroker implements Broker {
  readonly nodeId = randomUUID();
  private readonly wanted = new Set<string>();
  /** Cluster only: the last publish of each channel, so the next one waits for it. */
  private readonly tails = new Map<string, Promise<unknown>>();
  private handler: BrokerHandler = () => {};
  private readonly resyncHandlers: Array<() => void> = [];
  private closed = false;
  private subscriberUp = true;
  private publisherUp = true;

  private constructor(
    private readonly pub: RedisClient,
    private readonly sub: RedisClient,
    private readonly opts: RedisBrokerOptions,
  ) {
    const sharded = opts.target.sharded;
    sub.on(sharded ? 'smessage' : 'message', (channel: string, payload: string) =>
      this.receive(channel, payload),
    );
    sub.on('ready', () => void this.resubscribe());
    sub.on('error', (err: Error) => this.setState('sub', false, err.message));
    sub.on('close', () => this.setState('sub', false, 'connection closed'));
    pub.on('ready', () => this.setState('pub', true));
    pub.on('error', (err: Error) => this.setState('pub', false, err.message));
    pub.on('close', () => this.setState('pub', false, 'connection closed'));
  }

  /** Connects both connections; rejects with a RedisStartupError when Redis does not answer. */
  static async connect(opts: RedisBrokerOptions): Promise<RedisBroker> {
    // A publish that Redis does not answer in time rejects (the frame was written and may
    // still go out when Redis wakes; the other nodes catch up from the store either way).
    const pub = await openRedis(opts.target, {
      offlineQueue: false,
      name: 'orghub-pub',
      commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    });
    let sub: RedisClient;
    try {
      // Subscriptions never wait in an offline queue: `resubscribe` replays them on `ready`.
      sub = await openRedis(opts.target, { offlineQueue: false, name: 'orghub-sub' });
    } catch (err) {
      await closeRedis(pub);
      throw err;
    }
    return new RedisBroker(pub, sub, opts);
  }

  private wire(channel: string) {
    return this.opts.namespace + channel;
  }

  async publish(msg: BrokerMessage): Promise<void> {
    if (this.closed) throw new Error('broker closed');
    if (this.pub.status !== 'ready') throw new Error(`redis ${this.pub.status}`);
    const type = msg.type !== undefined && WIRE_TYPE.test(msg.type) ? `;${msg.type}` : '';
    const payload = `${this.nodeId}|${msg.seq ?? ''}${type}|${msg.frame}`;
    const channel = this.wire(msg.channel);
    if (!this.opts.target.cluster) {
      // One connection: Redis sees commands in the order they were written.
      await (this.opts.target.sharded
        ? this.pub.spublish(channel, payload)
        : this.pub.publish(channel, payload));
      return;
    }
    // ioredis `Cluster` may reorder commands issued concurrently (the contract suite caught
    // it), so on a cluster each channel's publishes go one after the other.
    const prev = this.tails.get(channel) ?? Promise.resolve();
    const sent = prev.catch(() => {}).then(() => this.pub.spublish(channel, payload));
    this.tails.set(channel, sent);
    const done = () => {
      if (this.tails.get(channel) === sent) this.tails.delete(channel);
    };
    sent.then(done, done);
    await sent;
  }

  async subscribe(channel: string): Promise<void> {
    if (this.closed || this.wanted.has(channel)) return;
    this.wanted.add(channel);
    // While disconnected, the channel is only recorded: `resubscribe` sends it on `ready`.
    if (this.sub.status === 'ready') await this.send('subscribe', [channel]).catch(() => {});
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.wanted.delete(channel) || this.closed) return;
    if (this.sub.status === 'ready') await this.send('unsubscribe', [channel]).catch(() => {});
  }

  onMessage(handler: BrokerHandler): void {
    this.handler = handler;
  }

  onResync(handler: () => void): void {
    this.resyncHandlers.push(handler);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('broker closed');
    if (this.pub.status !== 'ready') throw new Error(`redis ${this.pub.status}`);
    if (this.sub.status !== 'ready') throw new Error(`redis subscriber ${this.sub.status}`);
    await this.pub.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wanted.clear();
    await Promise.all([closeRedis(this.pub), closeRedis(this.sub)]);
  }

  private async send(op: 'subscribe' | 'unsubscribe', channels: string[]) {
    const wire = channels.map((c) => this.wire(c));
    if (!this.opts.target.sharded) {
      await (op === 'subscribe' ? this.sub.subscribe(...wire) : this.sub.unsubscribe(...wire));
      return;
    }
    // One command per channel: a Redis Cluster refuses SSUBSCRIBE over several slots.
    for (const c of wire) {
      await (op === 'subscribe' ? this.sub.ssubscribe(c) : this.sub.sunsubscribe(c));
    }
  }

  /** Runs on every `ready`: the first one at start, then after each reconnection. */
  private async resubscribe() {
    const wasDown = !this.subscriberUp;
    if (this.wanted.size > 0) {
      try {
        await this.send('subscribe', [...this.wanted]);
      } catch {
        return; // Dropped again: the next `ready` repeats this.
      }
    }
    this.setState('sub', true);
    if (!wasDown || this.closed) return;
    for (const h of this.resyncHandlers) {
      try {
        h();
      } catch {
        // A failing handler must not keep the others from filling their gaps.
      }
    }
  }

  private receive(wireChannel: string, payload: string) {
    if (this.closed || !wireChannel.startsWith(this.opts.namespace)) return;
    const channel = wireChannel.slice(this.opts.namespace.length);
    // Messages still in flight after an unsubscribe are dropped here.
    if (!this.wanted.has(channel)) return;
    if (payload.startsWith(this.nodeId)) return; // own echo
    const bar = payload.indexOf('|', NODE_ID_LENGTH + 1);
    if (payload[NODE_ID_LENGTH] !== '|' || bar < 0) return; // not ours: another program's message
    const head = payload.slice(NODE_ID_LENGTH + 1, bar);
    const semi = head.indexOf(';');
    const seqText = semi < 0 ? head : head.slice(0, semi);
    const seq = seqText === '' ? undefined : Number(seqText);
    if (seq !== undefined && !Number.isSafeInteger(seq)) return;
    const frame = payload.slice(bar + 1);
    const msg: BrokerMessage = { channel, frame };
    if (semi >= 0) msg.type = head.slice(semi + 1);
    if (seq !== undefined) msg.seq = seq;
    this.handler(msg);
  }

  private setState(which: 'pub' | 'sub', up: boolean, reason?: string) {
    const wasUp = this.subscriberUp && this.publisherUp;
    if (which === 'pub') this.publisherUp = up;
    else this.subscriberUp = up;
    const isUp = this.subscriberUp && this.publisherUp;
    if (this.closed || wasUp === isUp) return;
    this.opts.onStateChange?.(isUp ? 'up' : 'down', reason);
  }
}
