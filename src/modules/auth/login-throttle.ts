import { setTimeout as sleep } from 'node:timers/promises';
import { rateLimited } from '../../errors.js';
import type { LimiterFactory } from '../../shared/rate-limit.js';

/**
 * Slows and blocks password guessing without handing the owner's account to whoever guesses
 * (issue #16, defect 5: a lockout per account let anyone who knew a username lock its owner
 * out). Three counters, shared by every node when Redis is configured:
 * - per source (IP): 30 attempts a minute, then 429;
 * - per account and source: 10 failures in 15 minutes, then 429 for that source only;
 * - per account, everywhere: attempts that did not succeed in 15 minutes; past 5 every attempt
 *   on the account waits, 0.2 s doubling up to 2 s, whatever its source, but is never
 *   refused, so the right password from another source still signs in. Attempts are counted
 *   when they start (parallel guesses each see the ones before them) and a success takes its
 *   own back.
 */
export interface LoginThrottle {
  /** First of all (before any query): 429 for a source over its limit. */
  source(source: string): Promise<void>;
  /** Before the password is checked: 429 for this source on this account, else the delay. */
  attempt(account: string, source: string): Promise<void>;
  failed(account: string, source: string): Promise<void>;
  succeeded(account: string, source: string): Promise<void>;
}

const FREE_ATTEMPTS = 5;
const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 2000;

/** The wait of an account's n-th unsuccessful attempt in its window. */
export const accountDelayMs = (n: number) =>
  n <= FREE_ATTEMPTS ? 0 : Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (n - FREE_ATTEMPTS - 1));

export function createLoginThrottle(limiters: LimiterFactory): LoginThrottle {
  const perSource = limiters({ keyPrefix: 'login-ip', points: 30, durationSec: 60 });
  const perAccountSource = limiters({
    keyPrefix: 'login-acct-src',
    points: 10,
    durationSec: 15 * 60,
  });
  // Only counts: `add` never refuses, whatever `points` says.
  const perAccount = limiters({ keyPrefix: 'login-acct-slow', points: 1, durationSec: 15 * 60 });
  const pair = (account: string, source: string) => `${account}|${source}`;

  return {
    async source(source) {
      const ip = await perSource.consume(source);
      if (!ip.ok) throw rateLimited(ip.retryAfterSec);
    },
    async attempt(account, source) {
      const mine = await perAccountSource.blocked(pair(account, source));
      if (!mine.ok) throw rateLimited(mine.retryAfterSec);
      const wait = accountDelayMs(await perAccount.add(account));
      if (wait > 0) await sleep(wait);
    },
    async failed(account, source) {
      await perAccountSource.consume(pair(account, source));
    },
    async succeeded(account, source) {
      await Promise.all([
        perAccount.remove(account),
        perAccountSource.reset(pair(account, source)),
      ]);
    },
  };
}
