import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

const impls = [
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

const ids = () => ({ org: `org-${randomUUID().slice(0, 8)}`, group: 'general' });
const user = (username: string) => ({ userId: randomUUID(), username });

describe.each(impls)('Presence contract: $name', (impl) => {
  let a: Presence;
  let b: Presence;
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('is online while any socket on any node is connected; first and last are reported once', async () => {
    [a, b] = await impl.nodes();
    const { org, group } = ids();
    const alice = user('alice');
    expect(await a.join(org, group, 'a1', alice)).toEqual({ first: true });
    expect(await a.join(org, group, 'a2', alice)).toEqual({ first: false });
    expect(await b.join(org, group, 'b1', alice)).toEqual({ first: false });
    expect(await b.list(org, group)).toEqual([alice]);

    expect(await a.leave(org, group, 'a1')).toEqual({ last: false });
    expect(await a.leave(org, group, 'a2')).toEqual({ last: false });
    expect(await a.list(org, group)).toEqual([alice]);
    expect(await b.leave(org, group, 'b1')).toEqual({ last: true });
    expect(await a.list(org, group)).toEqual([]);
    expect(await b.list(org, group)).toEqual([]);
  });

  it('lists every online user once, sorted by username, per group and per org', async () => {
    [a, b] = await impl.nodes();
    const { org, group } = ids();
    const [zoe, bob, amy] = [user('zoe'), user('bob'), user('amy')];
    await a.join(org, group, 'c1', zoe);
    await b.join(org, group, 'c2', bob);
    await b.join(org, group, 'c3', zoe);
    await a.join(org, 'other', 'c4', amy);
    await b.join(`${org}-x`, group, 'c5', amy);
    expect(await a.list(org, group)).toEqual([bob, zoe]);
    expect(await b.list(org, 'other')).toEqual([amy]);
    expect(await a.list(`${org}-x`, group)).toEqual([amy]);
  });

  it('ignores a repeated join and a leave of an unknown connection', async () => {
    [a, b] = await impl.nodes();
    const { org, group } = ids();
    const carl = user('carl');
    expect(await a.join(org, group, 'c1', carl)).toEqual({ first: true });
    expect(await a.join(org, group, 'c1', carl)).toEqual({ first: false });
    expect(await a.leave(org, group, 'nope')).toEqual({ last: false });
    expect(await b.leave(org, group, 'c1')).toEqual({ last: false });
    expect(await b.list(org, group)).toEqual([carl]);
    expect(await a.leave(org, group, 'c1')).toEqual({ last: true });
    expect(await a.leave(org, group, 'c1')).toEqual({ last: false });
  });

  it('reports exactly one first and one last under concurrent joins and leaves on two nodes', async () => {
    [a, b] = await impl.nodes();
    const { org, group } = ids();
    const dan = user('dan');
    const joins = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).join(org, group, `c${i}`, dan)),
    );
    expect(joins.filter((j) => j.first)).toHaveLength(1);
    const leaves = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).leave(org, group, `c${i}`)),
    );
    expect(leaves.filter((l) => l.last)).toHaveLength(1);
    expect(await a.list(org, group)).toEqual([]);
  });

  it('close removes the node’s entries at once', async () => {
    [a, b] = await impl.nodes();
    const { org, group } = ids();
    const [eve, fay] = [user('eve'), user('fay')];
    await a.join(org, group, 'c1', eve);
    await b.join(org, group, 'c2', fay);
    await a.close();
    expect(await b.list(org, group)).toEqual([fay]);
    expect(await b.join(org, group, 'c3', eve)).toEqual({ first: true });
  });
});

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
