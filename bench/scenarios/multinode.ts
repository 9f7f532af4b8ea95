import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { RunResult } from '../loadgen/protocol.js';
import { SERVER_CORE, type Ctx } from '../lib/context.js';
import { OrgHubFixture } from '../lib/orghub.js';
import { createBenchDatabase, dropBenchDatabase } from '../lib/postgres.js';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SENDERS = 10;
const RATE = 5;

/** Resolves when Redis answers PING with PONG within a second. */
export function redisReachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port || 6379), u.hostname);
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1_000, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/** Why the multi-node scenario cannot run, or undefined when it can. */
async function whyNot(): Promise<string | undefined> {
  if (!existsSync('src/realtime/broker-redis.ts'))
    return 'src/realtime/broker-redis.ts does not exist yet';
  if (!existsSync('dist/realtime/broker-redis.js'))
    return 'dist/ has no Redis broker: run `npm run build`';
  const wiring = ['dist/app.js', 'dist/realtime/backend.js'].filter(existsSync);
  if (!wiring.some((f) => readFileSync(f, 'utf8').includes('broker-redis'))) {
    return 'the Redis broker is not wired into dist/app.js';
  }
  if (!(await redisReachable(REDIS_URL))) return `Redis at ${REDIS_URL} does not answer`;
  return undefined;
}

/**
 * Multi-node: the same fan-out with every socket on one node, then with the subscribers split
 * over two nodes joined by Redis (senders on the first): the difference is the Redis hop.
 * Both runs use PostgreSQL (two processes cannot share an embedded database) and Redis.
 */
export async function runMultiNode(ctx: Ctx): Promise<void> {
  const reason = await whyNot();
  const n = ctx.quick ? 200 : 1_000;
  const scenario = `multi-node ${n.toLocaleString('en-US')} subs × ${SENDERS} senders @ ${RATE}/s`;
  if (reason) {
    ctx.log(`multi-node: skipped: ${reason}`);
    ctx.add({ scenario, measure: 'skipped', values: {}, note: reason });
    return;
  }
  const db = await createBenchDatabase();
  if ('reason' in db) {
    ctx.log(`multi-node: skipped: ${db.reason}`);
    ctx.add({ scenario, measure: 'skipped', values: {}, note: db.reason });
    return;
  }
  const f = new OrgHubFixture('redis', { databaseUrl: db.url, redisUrl: REDIS_URL });
  try {
    await f.start(0, SERVER_CORE);
    await f.start(1, SERVER_CORE);
    await f.setup(1, ctx.quick ? 1 : 3);
    const measure = async (nodes: 1 | 2): Promise<RunResult> => {
      const gid = `multi-${nodes}-${Date.now().toString(36)}`;
      await f.group(gid);
      const half = nodes === 2 ? Math.floor(n / 2) : n;
      const specs = [
        ...f.specs(gid, 0, half, SENDERS),
        ...f.specs(gid, 0, n - half, 0, { node: 1 }),
      ];
      const c = await ctx.gen.connect('ws', specs);
      if (c.failed > 0) throw new Error(`${c.failed} sockets failed to connect: ${c.firstError}`);
      await ctx.gen.run({
        runId: ctx.nextRunId(),
        mode: 'open',
        ratePerSender: 2,
        durationMs: 500,
        drainMs: 2_000,
      });
      const r = await ctx.gen.run({
        runId: ctx.nextRunId(),
        mode: 'open',
        ratePerSender: RATE,
        durationMs: ctx.quick ? 1_000 : 5_000,
        drainMs: 3_000,
      });
      await ctx.gen.closeAll();
      ctx.log(
        `  ${nodes} node(s): p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, lost ${r.lost}/${r.expected}`,
      );
      return r;
    };
    const one = await measure(1);
    const two = await measure(2);
    ctx.add({
      scenario,
      measure: 'p50 ms, 1 node',
      better: 'lower',
      values: { OrgHub: one.p50 },
      note: `p99 ${one.p99.toFixed(1)} ms, lost ${one.lost}`,
    });
    ctx.add({
      scenario,
      measure: 'p50 ms, 2 nodes over Redis',
      better: 'lower',
      values: { OrgHub: two.p50 },
      note: `p99 ${two.p99.toFixed(1)} ms, lost ${two.lost}`,
    });
    ctx.add({
      scenario,
      measure: 'Redis hop at p50, ms',
      better: 'lower',
      values: { OrgHub: two.p50 - one.p50 },
    });
  } finally {
    await f.close();
    await dropBenchDatabase(db.url);
  }
}
