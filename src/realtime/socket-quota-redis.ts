import { randomUUID } from 'node:crypto';
import { redisKeys } from './channels.js';
import { LuaScript, type RedisClient } from './redis-connection.js';
import { LocalSlots, type SocketQuota } from './socket-quota.js';

// Per user, a sorted set of `<node id>:<connection id>` scored by when the slot expires.
// Nodes refresh their slots on a heartbeat; a crashed node's slots simply run out.
const NOW = `local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)`;

/** KEYS: user set. ARGV: member, max, ttl ms. */
const ACQUIRE = new LuaScript(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`);

/** KEYS: user set. ARGV: ttl ms, member, member, ... */
const REFRESH = new LuaScript(`${NOW}
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`);

export interface RedisSocketQuotaOptions {
  client: RedisClient;
  namespace: string;
  ttlMs?: number;
  onError?: (err: Error) => void;
}

export class RedisSocketQuota implements SocketQuota {
  private readonly nodeId = randomUUID();
  private readonly slots = new LocalSlots();
  private readonly ttlMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly onReady = () => void this.refreshAll();

  constructor(private readonly opts: RedisSocketQuotaOptions) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.timer = setInterval(() => void this.refreshAll(), Math.ceil(this.ttlMs / 3));
    this.timer.unref();
    opts.client.on('ready', this.onReady);
  }

  private key(orgId: string, userId: string) {
    return this.opts.namespace + redisKeys.userSockets(orgId, userId);
  }

  async acquire(orgId: string, userId: string, connId: string, max: number) {
    const uk = LocalSlots.userKey(orgId, userId);
    if (this.slots.has(uk, connId)) return true;
    let granted: boolean;
    try {
      const member = `${this.nodeId}:${connId}`;
      const args = [member, max, this.ttlMs];
      granted = (await ACQUIRE.run(this.opts.client, [this.key(orgId, userId)], args)) === 1;
    } catch (err) {
      this.opts.onError?.(err as Error);
      // Fails open, to this node's own count: Redis down or hung (the command times out,
      // REDIS_COMMAND_TIMEOUT_MS) must not refuse every socket, and the cap still holds per node.
      granted = this.slots.count(uk) < max;
    }
    if (granted) this.slots.add(uk, connId);
    return granted;
  }

  async release(orgId: string, userId: string, connId: string) {
    if (!this.slots.remove(LocalSlots.userKey(orgId, userId), connId)) return;
    try {
      await this.opts.client.zrem(this.key(orgId, userId), `${this.nodeId}:${connId}`);
    } catch (err) {
      this.opts.onError?.(err as Error); // the slot runs out with its TTL
    }
  }

  async connected(orgId: string, userIds: readonly string[]) {
    const local = () => userIds.filter((u) => this.slots.count(LocalSlots.userKey(orgId, u)) > 0);
    if (this.opts.client.status !== 'ready') return local();
    try {
      // Slots are scored by when they expire: a live one scores after now.
      const now = Date.now();
      const counts = await Promise.all(
        userIds.map((u) => this.opts.client.zcount(this.key(orgId, u), `(${now}`, '+inf')),
      );
      return userIds.filter((_, i) => counts[i]! > 0);
    } catch (err) {
      this.opts.onError?.(err as Error);
      return local();
    }
  }

  private async refreshAll() {
    if (this.opts.client.status !== 'ready') return;
    await Promise.all(
      this.slots
        .entries()
        .map(([orgId, userId, conns]) =>
          REFRESH.run(
            this.opts.client,
            [this.key(orgId, userId)],
            [this.ttlMs, ...conns.map((c) => `${this.nodeId}:${c}`)],
          ),
        ),
    ).catch((err: Error) => this.opts.onError?.(err));
  }

  async close() {
    clearInterval(this.timer);
    this.opts.client.off('ready', this.onReady);
    const all = this.slots.entries();
    if (this.opts.client.status !== 'ready') return;
    await Promise.all(
      all.map(([orgId, userId, conns]) =>
        this.opts.client.zrem(this.key(orgId, userId), ...conns.map((c) => `${this.nodeId}:${c}`)),
      ),
    ).catch(() => {});
  }
}
