import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { redisKeys } from '../realtime/channels.js';
import type { RedisClient } from '../realtime/redis-connection.js';
import { wrapLimiter, type LimiterFactory } from './rate-limit.js';

/**
 * Limiters whose counters live in Redis, so a limit holds across every node of a cluster.
 * While Redis is unreachable each one falls back at once to a per-node memory limiter
 * (the limit then holds per node): logins keep working, and a missing Redis never hangs them.
 * A hung Redis is the same after REDIS_COMMAND_TIMEOUT_MS (the client's command timeout):
 * deliberately fail-open to per-node limits, never fail-closed (which would lock everyone out).
 */
export function redisLimiters(client: RedisClient, namespace: string): LimiterFactory {
  return (opts) =>
    wrapLimiter(
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: namespace + redisKeys.limiter(opts.keyPrefix),
        points: opts.points,
        duration: opts.durationSec,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({
          keyPrefix: opts.keyPrefix,
          points: opts.points,
          duration: opts.durationSec,
        }),
      }),
      opts.points,
    );
}
