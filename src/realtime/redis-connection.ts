import { createHash } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A standalone server or a Redis Cluster: both speak the commands OrgHub uses. */
export type RedisClient = Redis | Cluster;

/**
 * What `REDIS_URL` says. Besides host, port, password and database, two query parameters
 * select the cluster modes without another variable:
 * `?cluster=true` (the URL names one seed node of a Redis Cluster; implies sharded) and
 * `?sharded=true` (sharded pub/sub, `SSUBSCRIBE`/`SPUBLISH`; channels carry `{org}` hash tags).
 */
export interface RedisTarget {
  url: string;
  cluster: boolean;
  sharded: boolean;
  /** Recent group history in Redis (on unless `?history_cache=off`, e.g. to compare in benches). */
  historyCache: boolean;
  /** `?namespace=<name>`: overrides the cluster name derived from the database. */
  namespace: string | undefined;
  /** `host:port`, for messages (never the password). */
  where: string;
}

export function parseRedisUrl(url: string): RedisTarget {
  const u = new URL(url);
  const flag = (name: string) => ['1', 'true', 'yes'].includes(u.searchParams.get(name) ?? '');
  const cluster = flag('cluster');
  const namespace = u.searchParams.get('namespace') ?? undefined;
  if (namespace !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(namespace)) {
    throw new Error('REDIS_URL: namespace must be 1 to 64 of A-Z a-z 0-9 _ . -');
  }
  return {
    url,
    cluster,
    // On a cluster, classic PUBLISH is relayed to every node over the cluster bus; sharded
    // pub/sub keeps an org's traffic on the shard that owns its slot.
    sharded: cluster || flag('sharded'),
    historyCache: u.searchParams.get('history_cache') !== 'off',
    namespace,
    where: `${u.hostname}:${u.port || 6379}`,
  };
}

/** Redis was not reachable when the server started: the message names the variable. */
export class RedisStartupError extends Error {
  constructor(where: string, reason: string) {
    super(`cannot connect to Redis given by REDIS_URL (${where}): ${reason}`);
    this.name = 'RedisStartupError';
  }
}

export interface ClientOptions {
  /**
   * Commands issued while disconnected reject at once instead of waiting in ioredis's offline
   * queue: a publish or a limiter check must never hang on a missing Redis.
   */
  offlineQueue: boolean;
  /** A name shown by `CLIENT LIST` (debugging which node holds what). */
  name: string;
  /**
   * A command unanswered this long rejects ("Command timed out"), so that a hung Redis
   * (stopped, swapping, a dead peer whose TCP has not noticed) costs its callers this long at
   * most instead of forever; each caller then has a fallback. Unset: no timeout (the
   * subscriber connection, whose commands nobody waits on for delivery).
   */
  commandTimeoutMs?: number;
}

/**
 * The timeout of commands on the delivery path and of the limiter, quota and presence calls:
 * well under a human's notice, well over a healthy Redis's worst round trip.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/** Reconnects forever, quickly at first: a restarted Redis is back within a second. */
const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1000);

const CONNECT_TIMEOUT_MS = 3000;

/**
 * Opens one connection and waits until it is ready. A server that does not answer at start
 * is a configuration error (RedisStartupError), not something to retry silently; once up,
 * the client reconnects by itself for the life of the process.
 */
export async function openRedis(target: RedisTarget, opts: ClientOptions): Promise<RedisClient> {
  const common: RedisOptions = {
    lazyConnect: true,
    connectionName: opts.name,
    enableOfflineQueue: opts.offlineQueue,
    // In-flight commands of a dropped connection fail instead of being replayed later.
    autoResendUnfulfilledCommands: false,
    // The broker re-subscribes itself, to exactly the channels it still wants.
    autoResubscribe: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy,
    ...(opts.commandTimeoutMs !== undefined && { commandTimeout: opts.commandTimeoutMs }),
  };
  const client: RedisClient = target.cluster
    ? new Cluster([target.url.split('?')[0]!], {
        redisOptions: common,
        enableOfflineQueue: opts.offlineQueue,
        shardedSubscribers: target.sharded,
        clusterRetryStrategy: retryStrategy,
        lazyConnect: true,
      })
    : new Redis(target.url.split('?')[0]!, common);
  let firstError: Error | undefined;
  const onError = (err: Error) => (firstError ??= err);
  client.on('error', onError);
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) =>
        setTimeout(() => reject(firstError ?? new Error('timed out')), CONNECT_TIMEOUT_MS).unref(),
      ),
    ]);
    await client.ping();
  } catch (err) {
    client.disconnect();
    const e = (firstError ?? err) as Error & { code?: string };
    throw new RedisStartupError(target.where, e.code ?? e.message);
  } finally {
    client.off('error', onError);
  }
  return client;
}

/** Closes without waiting on a server that may be gone. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    await Promise.race([
      client.quit().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 1000).unref()),
    ]);
  }
  client.disconnect();
}

/** A Lua script sent by its SHA1 after the first time. */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
