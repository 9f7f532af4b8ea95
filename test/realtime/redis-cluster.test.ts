import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../src/realtime/broker-redis.js';
import { channels, redisNamespace } from '../../src/realtime/channels.js';
import { RedisPresence } from '../../src/realtime/presence-redis.js';
import {
  closeRedis,
  openRedis,
  parseRedisUrl,
  type RedisClient,
} from '../../src/realtime/redis-connection.js';
import { RedisSocketQuota } from '../../src/realtime/socket-quota-redis.js';
import { redisLimiters } from '../../src/shared/rate-limit-redis.js';
import { startPrivateCluster } from '../helpers/private-redis.js';
import { redisSuiteSkip } from '../helpers/requires.js';
import { brokerContract, inbox, type BrokerImpl } from './broker-contract.js';
import { presenceContract } from './presence-contract.js';

// The same contract suites on a real Redis Cluster (three masters started by this file), over
// ioredis `Cluster` with sharded pub/sub.
let cluster: Awaited<ReturnType<typeof startPrivateCluster>>;
const clients: RedisClient[] = [];
const namespace = redisNamespace(`cluster-${randomUUID().slice(0, 8)}`);
const noRedis = redisSuiteSkip('Redis Cluster (test/realtime/redis-cluster.test.ts)', [
  'redis-server',
  'redis-cli',
]);
beforeAll(async () => {
  if (!noRedis) cluster = await startPrivateCluster();
});
afterAll(async () => {
  await Promise.all(clients.map(closeRedis));
  await cluster?.stop();
});
const target = (sharded: boolean) =>
  parseRedisUrl(`${cluster.url}?cluster=true${sharded ? '&sharded=true' : ''}`);
const client = async () => {
  const c = await openRedis(target(false), { offlineQueue: false, name: 't' });
  clients.push(c);
  return c;
};

// `?cluster=true` alone gives sharded pub/sub as well; both spellings run the contract.
const brokers = (sharded: boolean): BrokerImpl => ({
  name: `Redis Cluster${sharded ? ' (?sharded=true)' : ''}`,
  async nodes() {
    return [
      await RedisBroker.connect({ target: target(sharded), namespace }),
      await RedisBroker.connect({ target: target(sharded), namespace }),
    ];
  },
});
if (!noRedis) {
  brokerContract(brokers(false));
  brokerContract(brokers(true));
  presenceContract({
    name: 'Redis Cluster',
    nodes: async () => [
      new RedisPresence({ client: await client(), namespace }),
      new RedisPresence({ client: await client(), namespace }),
    ],
  });
}

describe.skipIf(noRedis)('Redis Cluster', () => {
  it('spreads orgs over shards and still delivers every org’s channel (sharded)', async () => {
    const [a, b] = await brokers(true).nodes();
    const inA = inbox(a);
    const orgs = Array.from({ length: 12 }, (_, i) => `org${i}-${randomUUID().slice(0, 4)}`);
    const probe = await client();
    const slots = new Set(
      await Promise.all(
        orgs.map((o) => probe.call('CLUSTER', 'KEYSLOT', channels.org(o)) as Promise<number>),
      ),
    );
    expect(slots.size).toBeGreaterThan(1);
    for (const o of orgs) await a.subscribe(channels.org(o));
    for (const o of orgs) await b.publish({ channel: channels.org(o), frame: o });
    await inA.until(() => inA.got.length === orgs.length);
    expect(inA.frames().sort()).toEqual([...orgs].sort());
    await a.close();
    await b.close();
  });

  it('runs the socket cap and limiters (one org’s keys per slot)', async () => {
    const [q1, q2] = [
      new RedisSocketQuota({ client: await client(), namespace }),
      new RedisSocketQuota({ client: await client(), namespace }),
    ];
    const user = randomUUID();
    expect(await q1.acquire('acme', user, 'c1', 1)).toBe(true);
    expect(await q2.acquire('acme', user, 'c2', 1)).toBe(false);
    await q1.release('acme', user, 'c1');
    expect(await q2.acquire('acme', user, 'c2', 1)).toBe(true);
    const limiter = redisLimiters(
      await client(),
      namespace,
    )({
      keyPrefix: 'login-ip',
      points: 1,
      durationSec: 60,
    });
    expect(await limiter.consume('1.2.3.4')).toEqual({ ok: true });
    expect((await limiter.consume('1.2.3.4')).ok).toBe(false);
    await q1.close();
    await q2.close();
  });
});
