/**
 * The chaos soak (issue 16): three OrgHub processes (`dist/`, built by `npm install`) on a
 * private PostgreSQL and Redis, one sequenced sender and one resuming receiver per node,
 * while Redis, PostgreSQL and the nodes are crashed, paused and restarted at random for
 * CHAOS_SECONDS (default 180). At the end, with everything healed: every send was
 * acknowledged, every acknowledged message is stored once, every client's stream is the
 * stored sequence, no node exited unexpectedly. Exits 1 on any problem.
 *
 *   npm run chaos                        # 3 minutes
 *   CHAOS_SECONDS=1800 CHAOS_SEED=42 npm run chaos
 *
 * Without PostgreSQL's server binaries or redis-server it prints one line and exits 0.
 */
import { existsSync } from 'node:fs';
import { MAIN } from '../test/foundation/process.js';
import { missingFaultTools } from '../test/helpers/private-postgres.js';
import { checkConsistency } from '../test/faults/clients.js';
import { startFaultCluster, type FaultCluster } from '../test/faults/harness.js';
import { hold, startTraffic } from '../test/faults/scenario.js';

const seconds = Number(process.env['CHAOS_SECONDS'] ?? 180);
const seed = Number(process.env['CHAOS_SEED'] ?? Date.now() % 1_000_000);
/**
 * Ports 61340-61349 (the fault suite's range is 61300-61339): above Linux's ephemeral range
 * (32768-60999 by default), so no outgoing connection of another process takes one between the
 * check that it is free and the node's listen (in CI a node found 56344 taken, 5 tries long).
 */
const BASE_PORT = 61340;

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
function random(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(seed);
const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));

type Fault = (c: FaultCluster) => Promise<void>;

const faults: Record<string, Fault> = {
  'redis kill -9': async (c) => {
    await c.redis.kill();
    await hold(between(200, 3000));
    await c.redis.start();
  },
  'redis SIGSTOP': async (c) => {
    c.redis.pause();
    await hold(between(200, 5000));
    c.redis.resume();
  },
  'postgres stop -m immediate': async (c) => {
    await c.pg.crash();
    await hold(between(200, 3000));
    await c.pg.start();
  },
  'postgres SIGSTOP': async (c) => {
    await c.pg.pause();
    await hold(between(200, 5000));
    await c.pg.resume();
  },
  'node kill -9': async (c) => {
    const node = c.nodes[between(0, c.nodes.length - 1)]!;
    await node.kill9();
    await hold(between(200, 3000));
    await node.start();
  },
  'node SIGTERM': async (c) => {
    const node = c.nodes[between(0, c.nodes.length - 1)]!;
    const code = await node.term();
    if (code !== 0) c.unexpectedExits.push(`node ${node.index} exited ${code} on SIGTERM`);
    await node.start();
  },
};

async function main(): Promise<number> {
  const missing =
    missingFaultTools() ?? (existsSync(MAIN) ? undefined : 'no dist/ (npm run build)');
  if (missing) {
    process.stdout.write(`chaos soak skipped: ${missing}; install postgresql and redis-server\n`);
    return 0;
  }
  process.stdout.write(`chaos soak: ${seconds} s, seed ${seed}\n`);
  const c = await startFaultCluster({ basePort: BASE_PORT });
  let failed = true;
  try {
    const t = await startTraffic(c, 'chaos');
    const counts: Record<string, number> = {};
    const end = Date.now() + seconds * 1000;
    const names = Object.keys(faults);
    while (Date.now() < end) {
      await hold(between(500, 3000)); // calm between faults
      const name = names[between(0, names.length - 1)]!;
      const started = Date.now();
      await faults[name]!(c);
      counts[name] = (counts[name] ?? 0) + 1;
      process.stdout.write(`  ${name} (${Date.now() - started} ms)\n`);
    }
    await Promise.all(t.senders.map((s) => s.stop()));
    const stored = (await c.stored('chaos')).length;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !t.all.every((x) => x.lastSeq >= stored)) await hold(100);
    const problems = checkConsistency(await c.stored('chaos'), t.all, t.senders);
    problems.push(...c.unexpectedExits);
    for (const x of t.all) x.close();
    const sum = (k: 'sent' | 'acked' | 'lateAcks' | 'unavailable' | 'resent') =>
      t.senders.reduce((n, s) => n + s.stats[k], 0);
    if (sum('acked') !== sum('sent')) problems.push(`acked ${sum('acked')} of ${sum('sent')}`);
    if (stored !== sum('sent')) problems.push(`stored ${stored} of ${sum('sent')} sent`);
    const maxAck = Math.max(...t.senders.map((s) => s.stats.maxAckMs));
    process.stdout.write(
      `chaos soak: ${Object.entries(counts)
        .map(([k, v]) => `${k} x${v}`)
        .join(', ')}\n` +
        `  sent ${sum('sent')}, acked ${sum('acked')}, stored ${stored}; late acks ${sum('lateAcks')} ` +
        `(longest ${maxAck} ms), unavailable ${sum('unavailable')}, re-sent ${sum('resent')}, ` +
        `reconnects ${t.all.reduce((n, x) => n + x.reconnects, 0)}\n` +
        (problems.length
          ? `FAILED (seed ${seed}):\n${problems.map((p) => `  ${p}`).join('\n')}\n`
          : 'chaos soak passed\n'),
    );
    failed = problems.length > 0;
    return failed ? 1 : 0;
  } finally {
    // On a failure the nodes' logs stay in logDir, and their ends are printed here too.
    await c.destroy({ keepLogs: failed });
    if (failed) process.stdout.write(`node logs (${c.logDir}):\n${c.logTails()}\n`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
