import { randomUUID } from 'node:crypto';
import { redisKeys } from './channels.js';
import { LocalConnections, sortUsers, type Presence, type PresentUser } from './presence.js';
import { LuaScript, type RedisClient } from './redis-connection.js';

// Per group, Redis holds one hash per node (user id → username, the users that node has
// sockets for) and a sorted set of those nodes scored by when their entry expires. A node
// refreshes both on a heartbeat; a crashed node stops refreshing and drops out after the TTL
// (its hash lives twice as long, so that a live node's heartbeat can still sweep it and
// announce the users it took with it).
// Only a node's first and last connection of a user reach Redis; the rest is counted locally.
// Times come from Redis (TIME) so that nodes' clocks do not matter.
const NOW = `local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)`;

/** KEYS: nodes, own hash. ARGV: hash prefix, node id, user id, username, ttl ms. */
const JOIN = new LuaScript(`${NOW}
local elsewhere = 0
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  if n ~= ARGV[2] and redis.call('HEXISTS', ARGV[1] .. n, ARGV[3]) == 1 then elsewhere = 1 break end
end
local here = redis.call('HEXISTS', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[5]))
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[5]))
if elsewhere == 0 and here == 0 then return 1 end
return 0`);

/** KEYS: nodes, own hash. ARGV: hash prefix, node id, user id. */
const LEAVE = new LuaScript(`${NOW}
if redis.call('HDEL', KEYS[2], ARGV[3]) == 0 then return 0 end
if redis.call('HLEN', KEYS[2]) == 0 then redis.call('ZREM', KEYS[1], ARGV[2]) end
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  if n ~= ARGV[2] and redis.call('HEXISTS', ARGV[1] .. n, ARGV[3]) == 1 then return 0 end
end
return 1`);

/** Rewrites a node's entry. KEYS: nodes, own hash. ARGV: node id, ttl ms, user, name, ... */
const REFRESH = new LuaScript(`${NOW}
redis.call('DEL', KEYS[2])
if #ARGV < 4 then redis.call('ZREM', KEYS[1], ARGV[1]) return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return 1`);

/** KEYS: nodes. ARGV: hash prefix. Returns user, name, user, name, ... of live nodes. */
const LIST = new LuaScript(`${NOW}
local out = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  for _, v in ipairs(redis.call('HGETALL', ARGV[1] .. n)) do out[#out + 1] = v end
end
return out`);

/**
 * Removes the nodes whose entry ran out (they stopped without leaving) and returns, once and to
 * one caller, their users that no live node has: user, name, user, name, ...
 * KEYS: nodes. ARGV: hash prefix.
 */
const SWEEP = new LuaScript(`${NOW}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if #dead == 0 then return {} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local live = redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')
local gone, seen = {}, {}
for _, n in ipairs(dead) do
  local h = redis.call('HGETALL', ARGV[1] .. n)
  redis.call('DEL', ARGV[1] .. n)
  for i = 1, #h, 2 do
    if not seen[h[i]] then
      seen[h[i]] = true
      local here = false
      for _, m in ipairs(live) do
        if redis.call('HEXISTS', ARGV[1] .. m, h[i]) == 1 then here = true break end
      end
      if not here then gone[#gone + 1] = h[i] gone[#gone + 1] = h[i + 1] end
    end
  end
end
return gone`);

export interface RedisPresenceOptions {
  client: RedisClient;
  /** From `redisNamespace()`. */
  namespace: string;
  /** How long a silent node's entries live; the heartbeat runs three times per TTL. */
  ttlMs?: number;
  onError?: (err: Error) => void;
}

export class RedisPresence implements Presence {
  readonly nodeId = randomUUID();
  private readonly local = new LocalConnections();
  private readonly client: RedisClient;
  private readonly ns: string;
  private readonly ttlMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly onReady = () => void this.refreshAll();
  private closed = false;
  private readonly expiredHandlers: Array<
    (orgId: string, groupId: string, user: PresentUser) => void
  > = [];

  constructor(private readonly opts: RedisPresenceOptions) {
    this.client = opts.client;
    this.ns = opts.namespace;
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.timer = setInterval(() => void this.refreshAll(), Math.ceil(this.ttlMs / 3));
    this.timer.unref();
    // After a Redis restart (which keeps nothing) this node's entries are written again at once.
    this.client.on('ready', this.onReady);
  }

  private keys(orgId: string, groupId: string) {
    return {
      nodes: this.ns + redisKeys.presenceNodes(orgId, groupId),
      own: this.ns + redisKeys.presenceOfNode(orgId, groupId, this.nodeId),
      prefix: this.ns + redisKeys.presenceOfNodePrefix(orgId, groupId),
    };
  }

  async join(orgId: string, groupId: string, connId: string, user: PresentUser) {
    const k = this.keys(orgId, groupId);
    const added = this.local.add(LocalConnections.groupKey(orgId, groupId), connId, user);
    if (added !== 'new-user') return { first: false };
    try {
      const args = [k.prefix, this.nodeId, user.userId, user.username, this.ttlMs];
      return { first: (await JOIN.run(this.client, [k.nodes, k.own], args)) === 1 };
    } catch (err) {
      this.opts.onError?.(err as Error);
      return { first: true }; // best effort: the heartbeat registers the user once Redis is back
    }
  }

  async leave(orgId: string, groupId: string, connId: string) {
    const k = this.keys(orgId, groupId);
    const gone = this.local.remove(LocalConnections.groupKey(orgId, groupId), connId);
    if (!gone?.lastHere) return { last: false };
    try {
      const args = [k.prefix, this.nodeId, gone.userId];
      return { last: (await LEAVE.run(this.client, [k.nodes, k.own], args)) === 1 };
    } catch (err) {
      this.opts.onError?.(err as Error);
      return { last: true };
    }
  }

  async list(orgId: string, groupId: string): Promise<PresentUser[]> {
    const k = this.keys(orgId, groupId);
    try {
      const flat = (await LIST.run(this.client, [k.nodes], [k.prefix])) as string[];
      const users: PresentUser[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        users.push({ userId: flat[i]!, username: flat[i + 1]! });
      }
      return sortUsers(users);
    } catch (err) {
      // Degraded: what this node knows is better than nothing.
      this.opts.onError?.(err as Error);
      return sortUsers(this.local.usersOf(LocalConnections.groupKey(orgId, groupId)));
    }
  }

  /** Rewrites this node's entry of every group it has sockets in, extending their TTL. */
  private async refreshAll() {
    if (this.closed || this.client.status !== 'ready') return;
    await Promise.all(
      this.local.groupKeys().map((gk) => this.refresh(gk, this.local.usersOf(gk))),
    ).catch((err: Error) => this.opts.onError?.(err));
  }

  private async refresh(gk: string, users: PresentUser[]) {
    const [orgId, groupId] = LocalConnections.splitGroupKey(gk);
    const k = this.keys(orgId, groupId);
    const args = [this.nodeId, this.ttlMs, ...users.flatMap((u) => [u.userId, u.username])];
    await REFRESH.run(this.client, [k.nodes, k.own], args);
    if (users.length === 0) return;
    // A node with sockets in the group also tells them about users of crashed nodes.
    const gone = (await SWEEP.run(this.client, [k.nodes], [k.prefix])) as string[];
    for (let i = 0; i + 1 < gone.length; i += 2) {
      for (const h of this.expiredHandlers) {
        h(orgId, groupId, { userId: gone[i]!, username: gone[i + 1]! });
      }
    }
  }

  onExpired(handler: (orgId: string, groupId: string, user: PresentUser) => void): void {
    this.expiredHandlers.push(handler);
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.client.off('ready', this.onReady);
    // A clean shutdown removes this node's entries now rather than after the TTL.
    if (this.client.status === 'ready') {
      await Promise.all(this.local.groupKeys().map((gk) => this.refresh(gk, []))).catch(() => {});
    }
  }
}
