import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  dropDatabase,
  freshDatabase,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { connect, type Frame, type TestSocket } from '../messaging/socket-client.js';
import { redisSuiteSkip } from '../helpers/requires.js';

// Three OrgHub nodes in one process on one PostgreSQL database and one Redis (a private
// redis-server, so that it can be killed with -9 and restarted mid-traffic).
const services =
  !!process.env['DATABASE_URL'] &&
  !!process.env['REDIS_URL'] &&
  !redisSuiteSkip('multi-node suite (test/cluster/multi-node.test.ts)');

const seqs = (s: TestSocket) => s.messages().map((m) => m.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const count = (s: TestSocket, pred: (f: Frame) => boolean) => s.frames.filter(pred).length;

describe.runIf(services)('three nodes on one PostgreSQL and one Redis', () => {
  let redis: PrivateRedis;
  let where: Awaited<ReturnType<typeof freshDatabase>>;
  let nodes: [TestApp, TestApp, TestApp];
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let admin: Fixture;
  const open: TestSocket[] = [];
  const join = async (node: TestApp, f: Fixture, groupId = 'general', query = {}) => {
    const s = await connect(node, orgId, groupId, f.token, {
      query: { events: 'presence,tasks', ...query },
    });
    open.push(s);
    return s;
  };

  /** Joins, retrying while the server has not yet seen the close of an earlier socket (429). */
  const joinWhenFree = async (node: TestApp, f: Fixture) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        return await join(node, f);
      } catch (err) {
        if ((err as { status?: number }).status !== 429 || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  };

  beforeAll(async () => {
    redis = await startPrivateRedis();
    where = await freshDatabase();
    const config = { redisUrl: redis.url, wsRateLimit: 10_000, maxSocketsPerUser: 4 };
    const start = () => startApp({ reuse: where, keepData: true, config, reminderIntervalMs: 200 });
    nodes = [await start(), await start(), await start()];
    const [a] = nodes;
    orgId = (await createOrg(a)).id;
    alice = await createUser(a, orgId, { username: 'alice' });
    bob = await createUser(a, orgId, { username: 'bob' });
    admin = await createUser(a, orgId, { username: 'admin', role: 'admin' });
    const res = await api(a, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'general', name: 'General' },
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await Promise.all((nodes ?? []).map((n) => n.close()));
    if (where) await dropDatabase(where);
    await redis?.stop();
  });

  it('delivers messages sent on B and C to a socket on A in seq order, no gap, no duplicate', async () => {
    const [a, b, c] = nodes;
    const onA = await join(a, alice);
    const onC = await join(c, bob);
    const n = 60;
    await Promise.all([
      ...Array.from({ length: n / 2 }, (_, i) =>
        api(b, 'POST', `/api/v1/orgs/${orgId}/groups/general/broadcast`, {
          token: admin.token,
          body: { content: `rest ${i}` },
        }),
      ),
      ...Array.from({ length: n / 2 }, (_, i) => onC.send({ content: `ws ${i}` })),
    ]);
    await onA.until((f) => f.filter((x) => x.type === 'message').length >= n);
    await onC.until((f) => f.filter((x) => x.type === 'message').length >= n);
    expect(seqs(onA)).toEqual(range(1, n));
    expect(seqs(onC)).toEqual(range(1, n));
    await onA.close();
    await onC.close();
  });

  it('carries org broadcasts, task events and a reminder (fired once) across nodes', async () => {
    const [a, b, c] = nodes;
    const aliceOnA = await join(a, alice);
    const aliceOnC = await join(c, alice);
    const sent = await api(b, 'POST', `/api/v1/orgs/${orgId}/broadcast`, {
      token: admin.token,
      body: { content: 'all hands' },
    });
    expect(sent.status).toBe(200);
    for (const s of [aliceOnA, aliceOnC]) {
      await s.next((f) => f.type === 'broadcast' && f['content'] === 'all hands');
    }

    const task = await api<{ id: string }>(b, 'POST', `/api/v1/users/${alice.user.id}/tasks`, {
      token: bob.token,
      body: { title: 'ship it', reminders: [{ at: new Date(Date.now() + 500).toISOString() }] },
    });
    expect(task.status).toBe(201);
    const isReminder = (f: Frame) =>
      f.type === 'task.reminder' && (f['task'] as { id: string }).id === task.body.id;
    for (const s of [aliceOnA, aliceOnC]) {
      await s.next(
        (f) => f.type === 'task.created' && (f['task'] as { id: string }).id === task.body.id,
      );
      await s.next(isReminder);
    }
    // Every node runs the scheduler; the claim makes exactly one of them fire it.
    const rows = await a.app.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from notifications where payload::text like ${`%${task.body.id}%`}`,
    );
    expect((rows as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(1);
    // A later event on the same sockets: a duplicate reminder would have come before it.
    await api(c, 'PUT', `/api/v1/tasks/${task.body.id}`, {
      token: bob.token,
      body: { title: 'x' },
    });
    for (const s of [aliceOnA, aliceOnC]) {
      await s.next((f) => f.type === 'task.updated');
      expect(count(s, isReminder)).toBe(1);
    }
    await aliceOnA.close();
    await aliceOnC.close();
  });

  it('aggregates presence over devices and nodes', async () => {
    const [a, b, c] = nodes;
    const watcher = await join(c, bob);
    const isAlice = (type: string) => (f: Frame) =>
      f.type === type && f['user_id'] === alice.user.id;
    const phone = await join(a, alice);
    await watcher.next(isAlice('presence.join'));
    const laptop = await join(b, alice);
    for (const node of nodes) {
      const res = await api(node, 'GET', `/api/v1/orgs/${orgId}/groups/general/presence`, {
        token: admin.token,
      });
      expect(res.body).toEqual([
        { user_id: alice.user.id, username: 'alice' },
        { user_id: bob.user.id, username: 'bob' },
      ]);
    }
    await phone.close();
    // Admin's join is a marker: a (wrong) leave for alice's phone would be in front of it.
    const marker = await join(b, admin);
    await watcher.next((f) => f.type === 'presence.join' && f['user_id'] === admin.user.id);
    expect(count(watcher, isAlice('presence.leave'))).toBe(0);
    await laptop.close();
    await watcher.next(isAlice('presence.leave'));
    expect(count(watcher, isAlice('presence.join'))).toBe(1);
    await marker.close();
    await watcher.close();
  });

  it('holds the socket cap across nodes', async () => {
    const [a, b, c] = nodes;
    const held = [
      await joinWhenFree(a, bob),
      await joinWhenFree(b, bob),
      await joinWhenFree(c, bob),
      await joinWhenFree(a, bob),
    ];
    const refused = await connect(b, orgId, 'general', bob.token).then(
      () => null,
      (err: { status: number }) => err.status,
    );
    expect(refused).toBe(429);
    await held[0]!.close();
    held[0] = await joinWhenFree(c, bob); // a freed slot is usable from any node
    for (const s of held) await s.close();

    // Login limits share the same Redis limiters: test/realtime/limits.contract.test.ts
    // spends them from two nodes (a login costs a scrypt hash, too slow for ten of them here).
  });

  it('loses no acknowledged message when Redis is killed with -9 and restarted mid-traffic', async () => {
    const [a, b, c] = nodes;
    const reader = await join(a, alice);
    const other = await join(c, admin);
    const sender = await joinWhenFree(b, bob);
    const acked = new Set<string>();
    const sendOne = async (i: number) => {
      const before = sender.frames.length;
      sender.send({ content: `m${i}`, client_msg_id: `k${i}` });
      const echo = await sender.next(
        (f) => f.type === 'message' && f['client_msg_id'] === `k${i}`,
        before,
      );
      acked.add(echo['id'] as string);
    };
    const total = 150;
    for (let i = 0; i < total; i++) {
      if (i === 50) await redis.kill(); // sends keep being stored and delivered locally
      if (i === 100) await redis.start(); // nodes resubscribe and fill gaps from the store
      await sendOne(i);
    }
    const last = Math.max(...sender.messages().map((m) => m.seq));
    for (const s of [reader, other]) {
      await s.until((f) => f.some((x) => x.type === 'message' && x['seq'] === last), 20_000);
      const got = s.messages();
      const firstSeq = got[0]!.seq;
      expect(seqs(s)).toEqual(range(firstSeq, last));
      for (const id of acked) expect(got.some((m) => m.id === id)).toBe(true);
    }
  });
});
