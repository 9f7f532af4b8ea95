import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisNamespace } from '../../src/realtime/channels.js';
import { MemoryPresence } from '../../src/realtime/presence-memory.js';
import { RedisPresence } from '../../src/realtime/presence-redis.js';
import type { Presence } from '../../src/realtime/presence.js';
import {
  closeRedis,
  openRedis,
  parseRedisUrl,
  type RedisClient,
} from '../../src/realtime/redis-connection.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { ids, presenceContract, user, type PresenceImpl } from './presence-contract.js';

let redis: PrivateRedis;
const clients: RedisClient[] = [];
const namespace = redisNamespace(`presence-${randomUUID().slice(0, 8)}`);
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await Promise.all(clients.map(closeRedis));
  await redis.stop();
});

async function redisNode(ttlMs?: number): Promise<RedisPresence> {
  const client = await openRedis(parseRedisUrl(redis.url), { offlineQueue: false, name: 't' });
  clients.push(client);
  return new RedisPresence({ client, namespace, ...(ttlMs && { ttlMs }) });
}

const impls: PresenceImpl[] = [
  {
    name: 'memory',
    nodes: async (): Promise<[Presence, Presence]> => {
      const scope = {};
      return [new MemoryPresence(scope), new MemoryPresence(scope)];
    },
  },
  {
    name: 'redis',
    nodes: async (): Promise<[Presence, Presence]> => [await redisNode(), await redisNode()],
  },
];

for (const impl of impls) presenceContract(impl);

describe('Redis presence: crashes and restarts', () => {
  it('drops the entries of a node killed with -9 after the TTL', async () => {
    const { org, group } = ids();
    const userId = randomUUID();
    const ttlMs = 1500;
    const fixture = fileURLToPath(new URL('./presence-node.fixture.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fixture, redis.url, namespace, org, group, userId, String(ttlMs)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(child.stdout!, 'data');
    const observer = await redisNode();
    expect(await observer.list(org, group)).toEqual([{ userId, username: 'crashing' }]);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    // Poll with a deadline: the entry must vanish within the TTL (plus scheduling slack).
    while ((await observer.list(org, group)).length > 0) {
      expect(Date.now() - killedAt).toBeLessThan(ttlMs + 3000);
      await new Promise((r) => setTimeout(r, 50));
    }
    await observer.close();
  });

  it('writes its entries again after Redis restarts empty', async () => {
    const node = await redisNode(60_000);
    const { org, group } = ids();
    const gus = user('gus');
    await node.join(org, group, 'c1', gus);
    await redis.kill();
    expect(await node.join(org, group, 'c2', gus)).toEqual({ first: false });
    await redis.start();
    const observer = await redisNode();
    // The node re-registers on `ready`; poll with a deadline for it to show.
    const deadline = Date.now() + 10_000;
    while ((await observer.list(org, group)).length === 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await observer.list(org, group)).toEqual([gus]);
    await node.close();
    await observer.close();
  });
});
