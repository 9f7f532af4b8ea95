import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../../src/realtime/broker-memory.js';
import { RedisBroker } from '../../src/realtime/broker-redis.js';
import type { Broker } from '../../src/realtime/broker.js';
import { channels, redisNamespace } from '../../src/realtime/channels.js';
import { parseRedisUrl } from '../../src/realtime/redis-connection.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { redisSuiteSkip } from '../helpers/requires.js';
import { eventually } from '../helpers/wait.js';
import { brokerContract, inbox, org, type BrokerImpl } from './broker-contract.js';

// Without redis-server the in-memory broker still runs the contract; the Redis parts skip.
const noRedis = redisSuiteSkip('Redis broker contract (test/realtime/broker.contract.test.ts)');
let redis: PrivateRedis;
beforeAll(async () => {
  if (!noRedis) redis = await startPrivateRedis();
});
afterAll(() => redis?.stop());

const namespace = redisNamespace(`contract-${randomUUID().slice(0, 8)}`);
const redisImpl = (sharded: boolean): BrokerImpl => ({
  name: sharded ? 'redis (sharded pub/sub)' : 'redis',
  async nodes() {
    const target = parseRedisUrl(`${redis.url}${sharded ? '?sharded=true' : ''}`);
    return [
      await RedisBroker.connect({ target, namespace }),
      await RedisBroker.connect({ target, namespace }),
    ];
  },
});
const impls: BrokerImpl[] = [
  {
    name: 'memory',
    async nodes() {
      const bus = new MemoryBus();
      return [new MemoryBroker(bus), new MemoryBroker(bus)];
    },
  },
  ...(noRedis ? [] : [redisImpl(false), redisImpl(true)]),
];

for (const impl of impls) brokerContract(impl);

describe.skipIf(noRedis).each([redisImpl(false), redisImpl(true)])(
  'Redis restart: $name',
  (impl) => {
    it('rejects publish while Redis is down, then resubscribes and fires onResync', async () => {
      const [a, b] = await impl.nodes();
      try {
        const inA = inbox(a);
        const ch = channels.group(org(), 'restart');
        await a.subscribe(ch);
        await b.publish({ channel: ch, frame: 'before' });
        await inA.untilFrame('before');

        const resynced = (n: Broker) => new Promise<void>((resolve) => n.onResync(resolve));
        const resyncA = resynced(a);
        const resyncB = resynced(b);
        await redis.kill();
        await expect(b.publish({ channel: ch, frame: 'while-down' })).rejects.toThrow();
        await expect(a.ping()).rejects.toThrow();
        // Subscribing while down is recorded and takes effect when Redis returns.
        const late = channels.org(org());
        await a.subscribe(late);

        await redis.start();
        await Promise.all([resyncA, resyncB]);
        // The publisher connection reconnects on its own schedule.
        await eventually(() => b.ping());
        await b.publish({ channel: ch, frame: 'after' });
        await b.publish({ channel: late, frame: 'late-channel' });
        await inA.untilFrame('late-channel');
        expect(inA.frames()).toEqual(['before', 'after', 'late-channel']);
        await expect(a.ping()).resolves.toBeUndefined();
      } finally {
        await a.close();
        await b.close();
      }
    });
  },
);

describe.skipIf(noRedis)('Redis namespaces', () => {
  it('keeps two clusters on one Redis apart', async () => {
    const target = parseRedisUrl(redis.url);
    const mine = redisNamespace(`ns-a-${randomUUID().slice(0, 8)}`);
    const theirs = redisNamespace(`ns-b-${randomUUID().slice(0, 8)}`);
    const a = await RedisBroker.connect({ target, namespace: mine });
    const peer = await RedisBroker.connect({ target, namespace: mine });
    const stranger = await RedisBroker.connect({ target, namespace: theirs });
    try {
      const inA = inbox(a);
      const ch = channels.group('acme', 'general');
      await a.subscribe(ch);
      await stranger.publish({ channel: ch, frame: 'other deployment' });
      await peer.publish({ channel: ch, frame: 'same deployment' });
      await inA.untilFrame('same deployment');
      expect(inA.frames()).toEqual(['same deployment']);
    } finally {
      await Promise.all([a.close(), peer.close(), stranger.close()]);
    }
  });
});
