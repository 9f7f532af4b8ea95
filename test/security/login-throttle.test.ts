import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDelayMs } from '../../src/modules/auth/login-throttle.js';
import { createOrg, createUser, PASSWORD, startApp, type TestApp } from '../helpers/app.js';

/**
 * Defect 5 of issue #16: whoever knows a username must not be able to lock its owner out.
 * Wrong passwords come from their own loopback address (`localAddress`), the owner signs in
 * from 127.0.0.1; the app trusts no proxy header, so the socket's address is the source.
 */
interface Answer {
  status: number;
  retryAfter: string | undefined;
  ms: number;
}

function loginFrom(
  t: TestApp,
  localAddress: string,
  body: { org_id: string; username: string; password: string },
): Promise<Answer> {
  const url = new URL('/api/v1/auth/login', t.url);
  const data = JSON.stringify(body);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe(
  'login throttle: guessing is blocked at its source, the owner never locked out',
  {
    timeout: 240_000,
  },
  () => {
    let t: TestApp;
    let orgId: string;
    beforeAll(async () => {
      // With REDIS_URL the counters live in Redis, as on a cluster.
      const redisUrl = process.env['REDIS_URL'];
      t = await startApp({ config: redisUrl ? { redisUrl } : {} });
      orgId = (await createOrg(t)).id;
    });
    afterAll(() => t.close());

    it('10 wrong passwords from 127.0.0.2: it gets 429 with Retry-After, the owner on 127.0.0.1 signs in', async () => {
      const owner = await createUser(t, orgId);
      const as = (from: string, password: string) =>
        loginFrom(t, from, { org_id: orgId, username: owner.user.username, password });
      // In parallel (scrypt takes two at a time); the account's delay makes the later ones wait.
      const guesses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => as('127.0.0.2', `wrong-guess-${i}`)),
      );
      expect(guesses.map((g) => g.status)).toEqual(Array(10).fill(401));
      const refused = await as('127.0.0.2', PASSWORD);
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThan(60);
      const mine = await as('127.0.0.1', PASSWORD);
      expect(mine.status).toBe(200);
      // Still refused at the guessing source afterwards: the owner's success resets only theirs.
      expect((await as('127.0.0.2', PASSWORD)).status).toBe(429);
    });

    it('the account slows down everywhere: past 5 failures every source waits, up to 2 s', async () => {
      expect([1, 5, 6, 7, 8, 9, 10, 50].map(accountDelayMs)).toEqual([
        0, 0, 200, 400, 800, 1600, 2000, 2000,
      ]);
      const owner = await createUser(t, orgId);
      const fresh = await createUser(t, orgId);
      const as = (who: typeof owner, from: string, password: string) =>
        loginFrom(t, from, { org_id: orgId, username: who.user.username, password });
      const guesses = await Promise.all(
        Array.from({ length: 9 }, (_, i) => as(owner, '127.0.0.3', `wrong-guess-${i}`)),
      );
      expect(guesses.map((g) => g.status)).toEqual(Array(9).fill(401));
      // The 10th attempt on the account, from a source that never guessed, waits 2 s; the
      // same attempt on an account nobody guesses at, sent at the same moment, does not.
      const [slowed, baseline] = await Promise.all([
        as(owner, '127.0.0.4', 'another-wrong-one'),
        as(fresh, '127.0.0.4', 'another-wrong-one'),
      ]);
      expect([slowed.status, baseline.status]).toEqual([401, 401]);
      expect(slowed.ms).toBeGreaterThanOrEqual(accountDelayMs(10) - 5);
      expect(slowed.ms - baseline.ms).toBeGreaterThan(1000);
      // And the right password from there still signs in.
      expect((await as(owner, '127.0.0.4', PASSWORD)).status).toBe(200);
    });
  },
);
