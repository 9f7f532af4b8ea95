import type { RunResult } from '../loadgen/protocol.js';
import {
  orghubTarget,
  startBaseline,
  baselinesWanted,
  type Ctx,
  type Target,
} from '../lib/context.js';
import { cpuTimeUs } from '../lib/procs.js';
import type { System } from '../lib/table.js';

const SENDERS = 10;
/** A step passes when every expected delivery arrived, p99 < 100 ms, and nothing broke. */
const P99_BOUND_MS = 100;
/** The fixed moderate load: 10 senders × 5 msgs/s, capped at 50k deliveries/s. */
const FIXED_RATE = 5;
const FIXED_CAP = 50_000;

const FULL_LADDER = [5e3, 10e3, 20e3, 35e3, 50e3, 70e3, 90e3, 120e3, 160e3, 200e3];
const QUICK_LADDER = [5e3, 20e3, 50e3];

interface Measured {
  run: RunResult;
  serverCpuUs: number;
  serverSysUs: number;
}

function passes(r: RunResult): boolean {
  return (
    r.lost === 0 &&
    r.p99 < P99_BOUND_MS &&
    r.closedDuringRun === 0 &&
    Object.keys(r.errors).length === 0
  );
}

function describe(r: RunResult): string {
  const errs = Object.entries(r.errors).map(([k, v]) => `${k}×${v}`);
  return (
    `${Math.round(r.deliveredPerSec).toLocaleString('en-US')}/s p50 ${r.p50.toFixed(1)} ` +
    `p99 ${r.p99.toFixed(1)} ms, lost ${r.lost}/${r.expected}, gen CPU ${r.genCpuPct.toFixed(0)}%` +
    (r.closedDuringRun ? `, ${r.closedDuringRun} closed` : '') +
    (errs.length ? `, errors ${errs.join(' ')}` : '')
  );
}

async function measure(
  ctx: Ctx,
  t: Target,
  ratePerSender: number,
  drainMs = ctx.quick ? 1_000 : 2_000,
): Promise<Measured> {
  const durationMs = ctx.quick ? 1_000 : 4_000;
  const c0 = cpuTimeUs(t.pid());
  const run = await ctx.gen.run({
    runId: ctx.nextRunId(),
    mode: 'open',
    ratePerSender,
    durationMs,
    drainMs,
  });
  const c1 = cpuTimeUs(t.pid());
  return {
    run,
    serverCpuUs: c1.user + c1.system - c0.user - c0.system,
    serverSysUs: c1.system - c0.system,
  };
}

interface TrialResult {
  fixed: RunResult;
  /** Server CPU over the fixed-load step: steadier than latency on a shared machine. */
  fixedCpu: { cpuUs: number; sysUs: number };
  fixedRate: number;
  capacity: Measured | undefined;
  stopReason: string;
}

async function trial(ctx: Ctx, t: Target, n: number): Promise<TrialResult> {
  const members = n + SENDERS;
  const specs = await t.prepare(n, SENDERS);
  const reconnect = async () => {
    const c = await ctx.gen.connect(t.wire, specs);
    if (c.failed > 0) throw new Error(`${c.failed} sockets failed to connect: ${c.firstError}`);
    // Warm-up, not counted: JIT, subscriptions, the first stored message.
    await ctx.gen.run({
      runId: ctx.nextRunId(),
      mode: 'open',
      ratePerSender: fixedRate,
      durationMs: ctx.quick ? 300 : 2_000,
      drainMs: 1_000,
    });
  };
  const fixedRate = Math.min(FIXED_RATE, FIXED_CAP / (SENDERS * members));
  await reconnect();
  // A longer drain here: the percentiles should include late deliveries rather than drop them.
  const fixedM = await measure(ctx, t, fixedRate, ctx.quick ? 1_000 : 5_000);
  const fixed = fixedM.run;
  ctx.log(
    `  ${t.system} N=${n} fixed ${fixedRate.toFixed(2)} msg/s/sender: ${describe(fixed)}, ` +
      `server ${(fixedM.serverCpuUs / Math.max(1, fixed.received)).toFixed(1)} µs/delivery`,
  );

  const ladder = (ctx.quick ? QUICK_LADDER : FULL_LADDER).filter(
    (target) => target / (SENDERS * members) >= 0.5,
  );
  let best: Measured | undefined;
  let bestTarget = 0;
  let stopReason = 'ladder top reached';
  const step = async (target: number): Promise<boolean> => {
    const m = await measure(ctx, t, target / (SENDERS * members));
    const ok = passes(m.run);
    ctx.log(
      `  ${t.system} N=${n} offered ${target.toLocaleString('en-US')}/s: ${describe(m.run)}, ${(m.serverCpuUs / Math.max(1, m.run.received)).toFixed(1)} µs/delivery ${ok ? 'PASS' : 'FAIL'}`,
    );
    if (m.run.closedDuringRun > 0) await reconnect();
    if (ok && (!best || m.run.deliveredPerSec > best.run.deliveredPerSec)) {
      best = m;
      bestTarget = target;
    }
    if (!ok)
      stopReason = `failed at ${target.toLocaleString('en-US')}/s offered: ${describe(m.run)}`;
    return ok;
  };
  for (const target of ladder) {
    if (!(await step(target))) {
      // One bisection step between the last pass and the first failure (full runs only).
      if (!ctx.quick && bestTarget > 0) await step(Math.round((bestTarget + target) / 2));
      break;
    }
  }
  await ctx.gen.closeAll();
  return {
    fixed,
    fixedCpu: { cpuUs: fixedM.serverCpuUs, sysUs: fixedM.serverSysUs },
    fixedRate,
    capacity: best,
    stopReason,
  };
}

export async function runFanout(ctx: Ctx): Promise<void> {
  // BENCH_FANOUT_SIZES=100,1000 overrides the group sizes (to try one size on its own).
  const override = process.env.BENCH_FANOUT_SIZES?.split(',')
    .map(Number)
    .filter((n) => n > 0);
  const sizes = override?.length ? override : ctx.quick ? [100, 500] : [100, 1_000, 5_000];
  const targets: Target[] = [];
  try {
    if (baselinesWanted()) targets.push(await startBaseline('ws'), await startBaseline('sio'));
    targets.push(await orghubTarget(ctx, 'fan'));
    for (const n of sizes) {
      const results = new Map<System, TrialResult>();
      for (const t of targets) {
        ctx.log(`fan-out: ${t.system}, ${n} subscribers + ${SENDERS} senders`);
        try {
          results.set(t.system, await trial(ctx, t, n));
        } catch (err) {
          ctx.log(`  ${t.system} N=${n}: ${(err as Error).message}`);
          await ctx.gen.closeAll().catch(() => {});
        }
      }
      addRows(ctx, n, results);
    }
  } finally {
    for (const t of targets) await t.stop();
  }
}

function addRows(ctx: Ctx, n: number, res: Map<System, TrialResult>): void {
  const scenario = `fan-out ${n.toLocaleString('en-US')} subs × ${SENDERS} senders`;
  const pick = (f: (r: TrialResult) => number | string | undefined) => {
    const values: Partial<Record<System, number | string>> = {};
    for (const [k, r] of res) {
      const v = f(r);
      if (v !== undefined) values[k] = v;
    }
    return values;
  };
  const notes = (f: (r: TrialResult) => string | undefined) =>
    [...res].map(([k, r]) => `${k}: ${f(r) ?? '—'}`).join('; ');
  ctx.add({
    scenario,
    measure: 'latency-bounded capacity, deliveries/s (p99 < 100 ms, 0 loss)',
    better: 'higher',
    values: pick((r) => r.capacity?.run.deliveredPerSec ?? 'none passed'),
    note: `gen CPU at capacity: ${notes((r) => (r.capacity ? `${r.capacity.run.genCpuPct.toFixed(0)}%` : undefined))}`,
  });
  const rateNote = [...res.values()][0];
  const fixedDeliveries = rateNote ? Math.round(rateNote.fixedRate * SENDERS * (n + SENDERS)) : 0;
  for (const q of ['p50', 'p95', 'p99'] as const) {
    ctx.add({
      scenario,
      measure: `${q} ms at ${fixedDeliveries.toLocaleString('en-US')} deliveries/s`,
      better: 'lower',
      values: pick((r) =>
        r.fixed.lost === 0 ? r.fixed[q] : `${r.fixed[q].toFixed(1)} (lost ${r.fixed.lost})`,
      ),
    });
  }
  ctx.add({
    scenario,
    measure: `server CPU µs per delivery at ${fixedDeliveries.toLocaleString('en-US')} deliveries/s`,
    better: 'lower',
    values: pick((r) => r.fixedCpu.cpuUs / Math.max(1, r.fixed.received)),
    note: `kernel share: ${notes((r) => `${((r.fixedCpu.sysUs / Math.max(1, r.fixedCpu.cpuUs)) * 100).toFixed(0)}%`)}`,
  });
  ctx.add({
    scenario,
    measure: 'server CPU µs per delivery at capacity',
    better: 'lower',
    values: pick((r) =>
      r.capacity ? r.capacity.serverCpuUs / r.capacity.run.received : undefined,
    ),
    note: `kernel share: ${notes((r) => (r.capacity ? `${((r.capacity.serverSysUs / Math.max(1, r.capacity.serverCpuUs)) * 100).toFixed(0)}%` : undefined))}`,
  });
}
