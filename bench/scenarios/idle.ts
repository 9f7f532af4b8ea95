import { spawnSync } from 'node:child_process';
import {
  SERVER_CORE,
  fixtureTarget,
  orghubTarget,
  startBaseline,
  baselinesWanted,
  type Ctx,
  type Target,
} from '../lib/context.js';
import { OrgHubFixture } from '../lib/orghub.js';
import { createBenchDatabase, dropBenchDatabase } from '../lib/postgres.js';
import { rssKiB } from '../lib/procs.js';
import type { System } from '../lib/table.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The open-file limit children inherit; each socket is one descriptor on each side. */
function fileLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.stdout.trim() === 'unlimited' ? Infinity : n;
}

/**
 * Idle sockets: server RSS growth per connected, silent socket. Each server is restarted first
 * so the baseline is a fresh heap, then warmed with one socket so code loading is not counted.
 */
export async function runIdle(ctx: Ctx): Promise<void> {
  let n = ctx.quick ? 1_000 : 10_000;
  const limit = fileLimit();
  if (limit < n + 500) {
    ctx.log(`idle: ulimit -n is ${limit}; measuring ${limit - 500} sockets instead of ${n}`);
    n = limit - 500;
  }
  const settleMs = ctx.quick ? 500 : 3_000;
  // And again after 15 s idle: what the connection burst left behind (garbage not yet
  // collected, a heap V8's memory reducer shrinks only after ~10 s without allocation) is not
  // what an idle socket holds.
  const steadyMs = ctx.quick ? 0 : 15_000;
  const values: Partial<Record<System, number | string>> = {};
  const steady: Partial<Record<System, number | string>> = {};
  const notes: string[] = [];
  const steadyNotes: string[] = [];

  /** RSS per socket of one target, right after connecting and (full runs) after 15 s idle. */
  async function measure(t: Target, label: string): Promise<void> {
    try {
      // A fresh process, so the baseline is a clean heap (quick runs skip it: smoke only).
      if (!ctx.quick) await t.restart();
      ctx.log(`idle: ${label}, ${n.toLocaleString('en-US')} sockets`);
      const warm = await t.prepare(1, 0);
      await ctx.gen.connect(t.wire, warm);
      await sleep(settleMs);
      const before = rssKiB(t.pid());
      const specs = await t.prepare(n, 0);
      const c = await ctx.gen.connect(t.wire, [...warm, ...specs], 120_000);
      await sleep(settleMs);
      const after = rssKiB(t.pid());
      const connected = c.connected - 1;
      if (c.failed > 0) throw new Error(`${c.failed} sockets failed to connect: ${c.firstError}`);
      const perSocket = (after - before) / Math.max(1, connected);
      values[t.system] = perSocket;
      notes.push(`${label}: ${(before / 1024).toFixed(0)}→${(after / 1024).toFixed(0)} MiB`);
      ctx.log(
        `  ${label}: RSS ${before} → ${after} KiB over ${connected} sockets = ${perSocket.toFixed(2)} KiB/socket (connect ${(c.ms / 1000).toFixed(1)} s)`,
      );
      if (steadyMs > 0) {
        await sleep(steadyMs);
        const rss = rssKiB(t.pid());
        const per = (rss - before) / Math.max(1, connected);
        steady[t.system] = per;
        steadyNotes.push(`${label}: ${(rss / 1024).toFixed(0)} MiB`);
        ctx.log(`  ${label}: RSS ${rss} KiB after 15 s idle = ${per.toFixed(2)} KiB/socket`);
      }
    } catch (err) {
      ctx.log(`  ${label}: ${(err as Error).message}`);
      values[t.system] = 'failed';
    } finally {
      await ctx.gen.closeAll().catch(() => {});
      await t.stop();
    }
  }

  const rows = (scenario: string) => {
    ctx.add({
      scenario,
      measure: 'server RSS KiB per socket',
      better: 'lower',
      values: { ...values },
      note: notes.join('; '),
    });
    if (steadyMs > 0) {
      ctx.add({
        scenario,
        measure: 'server RSS KiB per socket after 15 s idle',
        better: 'lower',
        values: { ...steady },
        note: steadyNotes.join('; '),
      });
    }
  };

  if (baselinesWanted()) {
    await measure(await startBaseline('ws'), 'ws');
    await measure(await startBaseline('sio'), 'sio');
  }
  await measure(await orghubTarget(ctx, 'idle'), 'OrgHub');
  rows(`idle ${n.toLocaleString('en-US')} sockets`);

  // OrgHub again on PostgreSQL: PGlite's WebAssembly memory grows with the queries of the
  // upgrades and is never given back, which the embedded default's figure includes.
  const db = await createBenchDatabase();
  if ('reason' in db) {
    ctx.log(`idle: OrgHub on PostgreSQL skipped: ${db.reason}`);
    return;
  }
  for (const o of [values, steady]) for (const k of Object.keys(o)) delete o[k as System];
  notes.length = 0;
  steadyNotes.length = 0;
  const f = new OrgHubFixture('idle-pg', { databaseUrl: db.url });
  try {
    await f.start(0, SERVER_CORE);
    await f.setup(2, 1);
    await measure(
      fixtureTarget(f, 'idle', async () => {}),
      'OrgHub on PostgreSQL',
    );
    rows(`idle ${n.toLocaleString('en-US')} sockets, OrgHub on PostgreSQL`);
  } finally {
    await f.close();
    await dropBenchDatabase(db.url);
  }
}
