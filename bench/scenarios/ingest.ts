import type { SocketSpec } from '../loadgen/protocol.js';
import { SERVER_CORE, type Ctx } from '../lib/context.js';
import { OrgHubFixture } from '../lib/orghub.js';
import { createBenchDatabase, dropBenchDatabase } from '../lib/postgres.js';

/** [senders, groups] */
const FULL = [
  [1, 1],
  [10, 1],
  [10, 10],
  [50, 1],
  [50, 10],
] as const;
const QUICK = [[10, 10]] as const;

/**
 * Durable ingest: each sender keeps one message in flight and sends the next when its own echo
 * arrives (OrgHub broadcasts only after the message is stored, so the echo is the ack). Stored
 * msgs/s is acknowledged messages over the send window; latency is send → each delivery
 * (own echo and the group's other senders).
 */
async function ingestOn(ctx: Ctx, label: string, f: OrgHubFixture): Promise<void> {
  for (const [senders, groups] of ctx.quick ? QUICK : FULL) {
    const specs: SocketSpec[] = [];
    for (let g = 0; g < groups; g++) {
      const id = `ingest-${label.toLowerCase()}-${senders}-${g}`;
      await f.group(id);
      const here = Math.floor(senders / groups) + (g < senders % groups ? 1 : 0);
      specs.push(...f.specs(id, g, 0, here, { firstSender: specs.length }));
    }
    const c = await ctx.gen.connect('ws', specs);
    if (c.failed > 0) throw new Error(`${c.failed} sockets failed to connect: ${c.firstError}`);
    await ctx.gen.run({ runId: ctx.nextRunId(), mode: 'closed', durationMs: 500, drainMs: 2_000 });
    const r = await ctx.gen.run({
      runId: ctx.nextRunId(),
      mode: 'closed',
      window: 1,
      durationMs: ctx.quick ? 1_000 : 5_000,
      drainMs: 5_000,
    });
    await ctx.gen.closeAll();
    const errs = Object.entries(r.errors).map(([k, v]) => `${k}×${v}`);
    ctx.log(
      `  ${label} ${senders} senders / ${groups} groups: ${r.ackedPerSec.toFixed(0)} stored msgs/s, ` +
        `p50 ${r.p50.toFixed(1)} p95 ${r.p95.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, gen CPU ${r.genCpuPct.toFixed(0)}%` +
        (errs.length ? `, errors ${errs.join(' ')}` : ''),
    );
    ctx.add({
      scenario: `ingest ${label}, ${senders} sender${senders > 1 ? 's' : ''} / ${groups} group${groups > 1 ? 's' : ''}`,
      measure: 'stored msgs/s (ack = own echo)',
      better: 'higher',
      values: { OrgHub: r.ackedPerSec },
      note:
        `p50 ${r.p50.toFixed(1)} / p95 ${r.p95.toFixed(1)} / p99 ${r.p99.toFixed(1)} ms` +
        (errs.length ? `; errors ${errs.join(' ')}` : '') +
        (r.lost ? `; ${r.lost} deliveries missing` : ''),
    });
  }
}

export async function runIngest(ctx: Ctx): Promise<void> {
  ctx.log('ingest: PGlite (embedded)');
  try {
    await ingestOn(ctx, 'PGlite', await ctx.orghub());
  } catch (err) {
    // Report and go on: the PostgreSQL half is worth having on its own.
    ctx.log(`ingest: PGlite failed: ${(err as Error).message}`);
    ctx.add({
      scenario: 'ingest PGlite',
      measure: 'failed',
      values: {},
      note: (err as Error).message,
    });
    await ctx.gen.closeAll().catch(() => {});
  }

  const db = await createBenchDatabase();
  if ('reason' in db) {
    ctx.log(`ingest: PostgreSQL skipped: ${db.reason}`);
    ctx.add({ scenario: 'ingest PostgreSQL', measure: 'skipped', values: {}, note: db.reason });
    return;
  }
  const f = new OrgHubFixture('pg', { databaseUrl: db.url });
  try {
    ctx.log('ingest: PostgreSQL (fresh database)');
    await f.start(0, SERVER_CORE);
    await f.setup(1, ctx.quick ? 1 : 3);
    await ingestOn(ctx, 'PostgreSQL', f);
  } finally {
    await f.close();
    await dropBenchDatabase(db.url);
  }
}
