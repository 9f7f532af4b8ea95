import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, redisNamespace } from '../../src/realtime/channels.js';
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
import { redisSuiteSkip } from '../helpers/requires.js';
import { ids, presenceContract, user, type PresenceImpl } from './presence-contract.js';

let redis: PrivateRedis;
const clients: RedisClient[] = [];
const namespace = redisNamespace(`presence-${randomUUID().slice(0, 8)}`);
// Without redis-server the in-memory presence still runs the contract.
const noRedis = redisSuiteSkip('Redis presence contract (test/realtime/presence.contract.test.ts)');
beforeAll(async () => {
  if (!noRedis) redis = await startPrivateRedis();
});
afterAll(async () => {
  await Promise.all(clients.map(closeRedis));
  await redis?.stop();
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

for (const impl of impls) if (!noRedis || impl.name === 'memory') presenceContract(impl);

describe.skipIf(noRedis)('Redis presence: crashes and restarts', () => {
  it('drops the entries of a node killed with -9 after the TTL and announces its users once', async () => {
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
    // Two live nodes with a socket each in the group: exactly one of them announces the leave.
    const watchers = [await redisNode(ttlMs), await redisNode(ttlMs)];
    const expired: Array<{ groupId: string; user: { userId: string; username: string } }> = [];
    const announced = new Promise<void>((resolve) => {
      for (const w of watchers) {
        w.onExpired((_org, groupId, u) => {
          expired.push({ groupId, user: u });
          resolve();
        });
      }
    });
    const bob = user('bob');
    await watchers[0]!.join(org, group, 'w1', bob);
    await watchers[1]!.join(org, group, 'w2', bob);
    const crashed = { userId, username: 'crashing' };
    expect(await watchers[0]!.list(org, group)).toEqual([bob, crashed]);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    // Poll with a deadline: the entry must vanish within the TTL (plus scheduling slack).
    while ((await watchers[0]!.list(org, group)).length > 1) {
      expect(Date.now() - killedAt).toBeLessThan(ttlMs + 3000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await watchers[1]!.list(org, group)).toEqual([bob]);
    await announced;
    expect(expired).toEqual([{ groupId: group, user: crashed }]);
    // The sweep that announced it removed the dead node in the same script, so no later sweep
    // can announce it again: only the two watchers are left, and only their hashes.
    const direct = clients[0]!;
    const nodes = await direct.zrange(namespace + redisKeys.presenceNodes(org, group), '0', '-1');
    expect(nodes.sort()).toEqual(watchers.map((w) => w.nodeId).sort());
    const prefix = namespace + redisKeys.presenceOfNodePrefix(org, group);
    expect((await direct.keys(`${prefix}*`)).sort()).toEqual(
      watchers.map((w) => prefix + w.nodeId).sort(),
    );
    for (const w of watchers) await w.close();
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
