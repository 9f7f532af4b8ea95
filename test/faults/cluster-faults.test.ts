import { existsSync } from 'node:fs';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAIN } from '../foundation/process.js';
import { missingFaultTools } from '../helpers/private-postgres.js';
import { healthOf, startFaultCluster, type FaultCluster } from './harness.js';
import { finish, hold, recovery, startTraffic, type FaultResult } from './scenario.js';
import { faultSuiteSkip } from './skip.js';

// Issue 16: faults injected under sequenced senders (one per node) and resuming receivers
// (one per node), three OrgHub processes on a private PostgreSQL and Redis. For each: sends
// during the fault are acknowledged late or answered `unavailable`, never falsely; every
// acknowledged message is stored once; every client's stream is the stored sequence, in
// order, without gaps or duplicates; no node exits unexpectedly.
// Part of `npm test` wherever PostgreSQL's server binaries and redis-server are installed
// (once per CI run, in the PostgreSQL + Redis pass); one skip line elsewhere.
const skip = faultSuiteSkip(missingFaultTools() ?? (existsSync(MAIN) ? undefined : 'no dist/'));

/** The promise's value, or a string saying it did not settle in time. */
const within = <T>(ms: number, p: Promise<T>): Promise<T | string> =>
  Promise.race([p, hold(ms).then(() => `no answer in ${ms} ms`)]);

function openSocket(base: string, route: string, token: string): Promise<void> {
  const ws = new WebSocket(base.replace('http', 'ws') + route, {
    headers: { authorization: `Bearer ${token}` },
  });
  return new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      resolve();
    });
    ws.once('error', reject);
  });
}

const expectClean = (r: FaultResult) => {
  expect(r.problems).toEqual([]);
  expect(r.acked).toBe(r.sent);
  expect(r.stored).toBe(r.sent);
};

describe.skipIf(skip)('faults under sequenced senders on three nodes', () => {
  let c: FaultCluster;
  beforeAll(async () => {
    c = await startFaultCluster({ basePort: 61320 });
  }, 120_000);
  let failed = false;
  afterAll(() => c?.destroy({ keepLogs: failed }));
  // Every node's output goes to a file (kept when a case failed); a failed case prints their ends.
  beforeEach(({ task, onTestFailed }) => {
    c.note(`case: ${task.name}`);
    onTestFailed(() => {
      failed = true;
      process.stdout.write(`node logs of the failed case (${c.logDir}):\n${c.logTails()}\n`);
    });
  });

  // Defect 8: a hung Redis (SIGSTOP) stalled every delivery, even a sender's own echo on its
  // own node, and a new socket waited for it.
  it('Redis SIGSTOP for 10 s: local delivery, acks and new sockets go on; /health names it', async () => {
    const t = await startTraffic(c, 'redis-hang');
    const probe = await c.user();
    c.redis.pause();
    const hungAt = Date.now();
    const marks = t.senders.map((s) => s.stats.acked);
    // The login limiter's counters live in Redis: it falls back to this node's own. Asked at
    // once, the login must be answered before Redis is back, 10 s later (one held by Redis
    // answers only after). No tighter bound: each of its Redis calls waits out the 500 ms
    // timeout, and on the loaded machine password hashing alone took up to 3.8 s.
    let signedInAt = Infinity;
    const login = c.login(probe.name).then(
      () => {
        signedInAt = Date.now();
        return 'signed in';
      },
      (err: Error) => err.message,
    );
    let health: { status: number; body: string } | string;
    let opened: number | string;
    let resumedAt: number;
    try {
      await hold(2000);
      health = await within(5000, healthOf(c.nodes[1]!));
      const started = Date.now();
      opened = await within(
        5000,
        openSocket(c.nodes[2]!.url, `/ws/orgs/${c.orgId}/groups/redis-hang`, probe.token).then(
          () => Date.now() - started,
        ),
      );
      await hold(Math.max(0, 10_000 - (Date.now() - hungAt)));
    } finally {
      resumedAt = Date.now();
      c.redis.resume();
    }
    const duringHang = t.senders.map((s, i) => s.stats.acked - marks[i]!);
    const r = await finish(c, 'redis-sigstop-10s', 'redis-hang', t, await recovery(t));
    // Each sender went on being acknowledged through the hang (before the fix: one ack each,
    // then nothing for the 10 s, the longest ack 14 s).
    for (const n of duringHang) expect(n).toBeGreaterThan(10);
    expect(r.maxAckMs).toBeLessThan(3000);
    expect(opened).toBeLessThan(2000);
    expect(await login).toBe('signed in');
    expect(signedInAt).toBeLessThan(resumedAt);
    expect(health).toMatchObject({ status: 503 });
    const body = typeof health === 'string' ? health : health.body;
    expect(body).toMatch(/"broker":"down: redis/);
    expect(body).toMatch(/"database":"ok"/);
    expectClean(r);
  }, 150_000);

  it('Redis kill -9, restarted after 2 s (empty)', async () => {
    const t = await startTraffic(c, 'redis-kill');
    await c.redis.kill();
    await hold(2000);
    await c.redis.start();
    expectClean(await finish(c, 'redis-kill-9', 'redis-kill', t, await recovery(t)));
  }, 150_000);

  it('PostgreSQL stop -m immediate, restarted after 2 s', async () => {
    const t = await startTraffic(c, 'pg-crash');
    await c.pg.crash();
    await hold(2000);
    await c.pg.start();
    const r = await finish(c, 'postgres-immediate-stop', 'pg-crash', t, await recovery(t));
    expect(r.unavailable).toBeGreaterThan(0);
    expectClean(r);
  }, 150_000);

  it('PostgreSQL SIGSTOP for 5 s', async () => {
    const t = await startTraffic(c, 'pg-hang');
    await c.pg.pause();
    try {
      await hold(5000);
    } finally {
      await c.pg.resume();
    }
    const r = await finish(c, 'postgres-sigstop-5s', 'pg-hang', t, await recovery(t));
    expect(r.lateAcks).toBeGreaterThan(0);
    expectClean(r);
  }, 150_000);

  it('node kill -9, restarted after 2 s', async () => {
    const t = await startTraffic(c, 'node-kill');
    await c.nodes[1]!.kill9();
    await hold(2000);
    await c.nodes[1]!.start();
    const r = await finish(c, 'node-kill-9', 'node-kill', t, await recovery(t));
    expect(r.reconnects).toBeGreaterThanOrEqual(2);
    expectClean(r);
  }, 150_000);

  it('SIGTERM to a node under load, restarted', async () => {
    const t = await startTraffic(c, 'node-term', 5);
    const code = await c.nodes[2]!.term();
    await c.nodes[2]!.start();
    const r = await finish(c, 'node-sigterm-under-load', 'node-term', t, await recovery(t));
    expect(code).toBe(0);
    expectClean(r);
  }, 150_000);
});
