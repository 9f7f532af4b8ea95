import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisNamespace } from '../../src/realtime/channels.js';
import {
  closeRedis,
  openRedis,
  parseRedisUrl,
  type RedisClient,
} from '../../src/realtime/redis-connection.js';
import { RedisSocketQuota } from '../../src/realtime/socket-quota-redis.js';
import { MemorySocketQuota, type SocketQuota } from '../../src/realtime/socket-quota.js';
import { memoryLimiters, type LimiterFactory } from '../../src/shared/rate-limit.js';
import { redisLimiters } from '../../src/shared/rate-limit-redis.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { redisSuiteSkip } from '../helpers/requires.js';

let redis: PrivateRedis;
const clients: RedisClient[] = [];
const namespace = redisNamespace(`limits-${randomUUID().slice(0, 8)}`);
// Without redis-server the in-memory implementations still run the contracts.
const noRedis = redisSuiteSkip('Redis limits contract (test/realtime/limits.contract.test.ts)');
beforeAll(async () => {
  if (!noRedis) redis = await startPrivateRedis();
});
afterAll(async () => {
  await Promise.all(clients.map(closeRedis));
  await redis?.stop();
});
const client = async () => {
  const c = await openRedis(parseRedisUrl(redis.url), { offlineQueue: false, name: 't' });
  c.on('error', () => {});
  clients.push(c);
  return c;
};

const quotas = [
  {
    name: 'memory',
    nodes: async (): Promise<SocketQuota[]> => {
      const scope = {};
      return [new MemorySocketQuota(scope), new MemorySocketQuota(scope)];
    },
  },
  {
    name: 'redis',
    nodes: async (): Promise<SocketQuota[]> => [
      new RedisSocketQuota({ client: await client(), namespace }),
      new RedisSocketQuota({ client: await client(), namespace }),
    ],
  },
];

describe.each(quotas.filter((q) => !noRedis || q.name === 'memory'))(
  'SocketQuota contract: $name',
  (impl) => {
    it('caps a user’s sockets over both nodes and frees slots on release', async () => {
      const [a, b] = (await impl.nodes()) as [SocketQuota, SocketQuota];
      const org = `org-${randomUUID().slice(0, 8)}`;
      const user = randomUUID();
      const other = randomUUID();
      expect(await a.acquire(org, user, 'a1', 3)).toBe(true);
      expect(await a.acquire(org, user, 'a1', 3)).toBe(true); // the same connection again
      expect(await b.acquire(org, user, 'b1', 3)).toBe(true);
      expect(await b.acquire(org, user, 'b2', 3)).toBe(true);
      expect(await a.acquire(org, user, 'a2', 3)).toBe(false);
      expect(await b.acquire(org, other, 'b3', 3)).toBe(true);
      await b.release(org, user, 'b1');
      await b.release(org, user, 'b1');
      expect(await a.acquire(org, user, 'a2', 3)).toBe(true);
      expect(await b.acquire(org, user, 'b4', 3)).toBe(false);
      await a.close();
      await b.close();
    });

    it('never grants more than the cap to concurrent acquires on two nodes', async () => {
      const [a, b] = (await impl.nodes()) as [SocketQuota, SocketQuota];
      const org = `org-${randomUUID().slice(0, 8)}`;
      const user = randomUUID();
      const grants = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).acquire(org, user, `c${i}`, 5)),
      );
      expect(grants.filter(Boolean)).toHaveLength(5);
      await a.close();
      await b.close();
    });
  },
);

describe.skipIf(noRedis)('SocketQuota on Redis: crashes', () => {
  it('frees the slots of a node that stopped refreshing after the TTL', async () => {
    const c = await client();
    const crashed = new RedisSocketQuota({ client: c, namespace, ttlMs: 600 });
    const org = `org-${randomUUID().slice(0, 8)}`;
    const user = randomUUID();
    expect(await crashed.acquire(org, user, 'x', 1)).toBe(true);
    c.disconnect(); // the node is gone: no release, no heartbeat reaches Redis
    const survivor = new RedisSocketQuota({ client: await client(), namespace });
    expect(await survivor.acquire(org, user, 'y', 1)).toBe(false);
    const deadline = Date.now() + 3000;
    while (!(await survivor.acquire(org, user, 'y', 1))) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    await crashed.close();
    await survivor.close();
  });
});

const limiterImpls: Array<{ name: string; make: () => Promise<LimiterFactory[]> }> = [
  { name: 'memory (one node)', make: async () => [memoryLimiters] },
  {
    name: 'redis (two nodes)',
    make: async () => [
      redisLimiters(await client(), namespace),
      redisLimiters(await client(), namespace),
    ],
  },
];

describe.each(limiterImpls.filter((l) => !noRedis || l.name.startsWith('memory')))(
  'Limiter: $name',
  (impl) => {
    it('spends points across every node of the factory and reports retry-after', async () => {
      const factories = await impl.make();
      const prefix = `t${randomUUID().slice(0, 8)}`;
      const limiters = factories.map((f) => f({ keyPrefix: prefix, points: 4, durationSec: 60 }));
      const key = '10.0.0.1';
      for (let i = 0; i < 4; i++) {
        expect(await limiters[i % limiters.length]!.consume(key)).toEqual({ ok: true });
      }
      const last = limiters[limiters.length - 1]!;
      expect(await last.blocked(key)).toEqual({ ok: false, retryAfterSec: expect.any(Number) });
      const refused = await limiters[0]!.consume(key);
      expect(refused.ok).toBe(false);
      expect(await limiters[0]!.consume('10.0.0.2')).toEqual({ ok: true });
      await last.reset(key);
      expect(await limiters[0]!.consume(key)).toEqual({ ok: true });
    });

    it('counts past its points without refusing (add), and takes counts back (remove)', async () => {
      const factories = await impl.make();
      const prefix = `t${randomUUID().slice(0, 8)}`;
      const limiters = factories.map((f) => f({ keyPrefix: prefix, points: 1, durationSec: 60 }));
      const counts: number[] = [];
      for (let i = 0; i < 4; i++) counts.push(await limiters[i % limiters.length]!.add('acct'));
      expect(counts).toEqual([1, 2, 3, 4]);
      await limiters[0]!.remove('acct');
      expect(await limiters[limiters.length - 1]!.add('acct')).toBe(4);
      expect(await limiters[0]!.add('other')).toBe(1);
    });
  },
);

describe.skipIf(noRedis)('Limiter on Redis: Redis down', () => {
  it('falls back to a per-node limit at once instead of failing or hanging', async () => {
    const own = await startPrivateRedis();
    const c = await openRedis(parseRedisUrl(own.url), { offlineQueue: false, name: 't' });
    c.on('error', () => {});
    const limiter = redisLimiters(c, namespace)({ keyPrefix: 'down', points: 2, durationSec: 60 });
    await own.kill();
    expect(await limiter.consume('k')).toEqual({ ok: true });
    expect(await limiter.consume('k')).toEqual({ ok: true });
    expect((await limiter.consume('k')).ok).toBe(false);
    c.disconnect();
  });
});
