import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * A fixed-window limiter shared by whatever needs one (login attempts, signups). The memory
 * implementation limits one node; with Redis configured the composition root hands out
 * Redis-backed ones so that limits hold across the cluster.
 */
export interface Limiter {
  /** Spends points; `ok: false` carries how long until the key may try again. */
  consume(
    key: string,
    points?: number,
  ): Promise<{ ok: true } | { ok: false; retryAfterSec: number }>;
  /** Whether the key is already over its limit, without spending anything. */
  blocked(key: string): Promise<{ ok: true } | { ok: false; retryAfterSec: number }>;
  reset(key: string): Promise<void>;
  /** Counts one more for the key whatever its limit (never refuses); answers the count now. */
  add(key: string): Promise<number>;
  /** Takes one back (an attempt that turned out not to count). */
  remove(key: string): Promise<void>;
}

export interface LimiterOptions {
  keyPrefix: string;
  points: number;
  durationSec: number;
}

export type LimiterFactory = (opts: LimiterOptions) => Limiter;

export function wrapLimiter(impl: RateLimiterAbstract, points: number): Limiter {
  const refused = (res: RateLimiterRes) => ({
    ok: false as const,
    retryAfterSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
  return {
    async consume(key, n = 1) {
      try {
        await impl.consume(key, n);
        return { ok: true };
      } catch (err) {
        if (err instanceof RateLimiterRes) return refused(err);
        throw err;
      }
    },
    async blocked(key) {
      const res = await impl.get(key);
      return res && res.consumedPoints >= points ? refused(res) : { ok: true };
    },
    async reset(key) {
      await impl.delete(key);
    },
    async add(key) {
      return (await impl.penalty(key, 1)).consumedPoints;
    },
    async remove(key) {
      await impl.reward(key, 1);
    },
  };
}

export const memoryLimiters: LimiterFactory = (opts) =>
  wrapLimiter(
    new RateLimiterMemory({
      keyPrefix: opts.keyPrefix,
      points: opts.points,
      duration: opts.durationSec,
    }),
    opts.points,
  );
