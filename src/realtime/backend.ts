import { createHash } from 'node:crypto';
import { MemoryBroker, type MemoryBus } from './broker-memory.js';
import { RedisBroker } from './broker-redis.js';
import type { Broker } from './broker.js';
import { cachedGapSource, HistoryCache } from './history-cache.js';
import type { GapSource } from './hub.js';
import { redisNamespace } from './channels.js';
import { MemoryPresence } from './presence-memory.js';
import { RedisPresence } from './presence-redis.js';
import type { Presence } from './presence.js';
import {
  closeRedis,
  openRedis,
  parseRedisUrl,
  REDIS_COMMAND_TIMEOUT_MS,
} from './redis-connection.js';
import { RedisSocketQuota } from './socket-quota-redis.js';
import { MemorySocketQuota, type SocketQuota } from './socket-quota.js';
import { memoryLimiters, type LimiterFactory } from '../shared/rate-limit.js';
import { redisLimiters } from '../shared/rate-limit-redis.js';

/**
 * Everything that makes several nodes behave as one server: fan-out, presence, the socket
 * cap and rate limits. In memory for a single server; in Redis with `REDIS_URL`.
 */
export interface RealtimeBackend {
  readonly kind: 'memory' | 'redis';
  readonly broker: Broker;
  readonly presence: Presence;
  readonly sockets: SocketQuota;
  readonly limiters: LimiterFactory;
  /**
   * Puts the recent-history cache (Redis) in front of the store for resumes and gap fills;
   * the in-process backend returns the store itself.
   */
  history(
    store: GapSource,
    lastSeq: (orgId: string, groupId: string) => Promise<number | undefined>,
    onRead?: (source: 'cache' | 'database') => void,
  ): GapSource;
  /** For /health: rejects naming what is down. Absent for the in-process backend. */
  readonly check?: () => Promise<void>;
  close(): Promise<void>;
}

/** One server, or several apps in one process that share a bus (tests). */
export function memoryBackend(bus?: MemoryBus): RealtimeBackend {
  const scope: object = bus ?? {};
  const broker = new MemoryBroker(bus);
  const presence = new MemoryPresence(scope);
  const sockets = new MemorySocketQuota(scope);
  return {
    kind: 'memory',
    broker,
    presence,
    sockets,
    limiters: memoryLimiters,
    history: (store) => store,
    async close() {
      await presence.close();
      await sockets.close();
      await broker.close();
    },
  };
}

/**
 * The nodes of one cluster share one database, so the database names the cluster: nodes on
 * the same PostgreSQL database share channels and counters in Redis, and two deployments (or
 * parallel test runs) on one Redis never see each other.
 */
export function clusterName(databaseUrl: string | undefined, dataDir: string): string {
  if (databaseUrl) {
    const u = new URL(databaseUrl);
    const name = decodeURIComponent(u.pathname.slice(1)) || 'postgres';
    if (/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return name;
  }
  const id = createHash('sha256')
    .update(databaseUrl ? new URL(databaseUrl).pathname : dataDir)
    .digest('hex');
  return `db-${id.slice(0, 16)}`;
}

export interface RedisBackendOptions {
  redisUrl: string;
  cluster: string;
  /** MESSAGE_RETENTION: cached history older than this is never served. */
  retentionMs: number;
  log: {
    warn(obj: object, msg: string): void;
    info(obj: object, msg: string): void;
  };
}

/** Connects to Redis; rejects with a RedisStartupError (naming REDIS_URL) when it cannot. */
export async function redisBackend(opts: RedisBackendOptions): Promise<RealtimeBackend> {
  const target = parseRedisUrl(opts.redisUrl);
  const namespace = redisNamespace(target.namespace ?? opts.cluster);
  const broker = await RedisBroker.connect({
    target,
    namespace,
    onStateChange: (state, reason) =>
      state === 'down'
        ? opts.log.warn({ reason }, 'Redis lost: delivering to local sockets only until it returns')
        : opts.log.info({}, 'Redis is back: resubscribed, filling gaps from the store'),
  });
  let client;
  try {
    // Every call on it has a deliberate answer when Redis does not reply in time: the socket
    // cap and the limiters fall back to this node's own counts (open, per node), presence to
    // this node's own view, the history cache to the store.
    client = await openRedis(target, {
      offlineQueue: false,
      name: 'orghub-cmd',
      commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
    });
  } catch (err) {
    await broker.close();
    throw err;
  }
  // The broker reports the outage once; errors of this connection would only repeat it.
  client.on('error', () => {});
  let lastError = 0;
  const onError = (err: Error) => {
    if (Date.now() - lastError < 10_000) return;
    lastError = Date.now();
    opts.log.warn({ err: err.message }, 'Redis command failed; using this node’s own view');
  };
  const presence = new RedisPresence({ client, namespace, onError });
  const sockets = new RedisSocketQuota({ client, namespace, onError });
  const cache = target.historyCache
    ? new HistoryCache({ client, namespace, retentionMs: opts.retentionMs })
    : undefined;
  return {
    kind: 'redis',
    broker: cache ? appendingTo(broker, cache) : broker,
    presence,
    sockets,
    limiters: redisLimiters(client, namespace),
    history: (store, lastSeq, onRead) =>
      cache ? cachedGapSource(store, cache, lastSeq, onRead) : store,
    check: async () => {
      try {
        await broker.ping();
        await client.ping();
      } catch (err) {
        // Named, so that /health says which part fails (a hang shows as "Command timed out").
        throw new Error(`redis ${target.where}: ${(err as Error).message}`, { cause: err });
      }
    },
    async close() {
      await presence.close();
      await sockets.close();
      await broker.close();
      await closeRedis(client);
    },
  };
}

/** The broker, plus: every group message this node publishes also goes into the cache. */
function appendingTo(broker: Broker, cache: HistoryCache): Broker {
  return {
    nodeId: broker.nodeId,
    publish(msg) {
      // Only messages: a seq of another entry type (a change) is a hole the store fills.
      if (msg.seq !== undefined && msg.type === 'message')
        void cache.append(msg.channel, msg.seq, msg.frame);
      return broker.publish(msg);
    },
    subscribe: (channel) => broker.subscribe(channel),
    unsubscribe: (channel) => broker.unsubscribe(channel),
    onMessage: (handler) => broker.onMessage(handler),
    onResync: (handler) => broker.onResync(handler),
    ping: () => broker.ping(),
    close: () => broker.close(),
  };
}
