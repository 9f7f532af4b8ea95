import { SERVER_CORE, type Ctx } from '../lib/context.js';
import { ORG, OrgHubFixture } from '../lib/orghub.js';
import { REDIS_URL, redisReachable } from './multinode.js';

/**
 * `orghub_history_reads_total` by source (cache | database) and `orghub_db_queries_total`
 * (as `queries`) from the node's /metrics.
 */
async function historyReads(f: OrgHubFixture): Promise<Record<string, number>> {
  const res = await fetch(`${f.base()}/metrics`, {
    headers: { authorization: `Bearer ${f.adminToken}` },
  });
  const out: Record<string, number> = {};
  if (!res.ok) return out;
  for (const line of (await res.text()).split('\n')) {
    const m = /^orghub_history_reads_total\{source="(\w+)"\} (\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
    const q = /^orghub_db_queries_total (\d+)/.exec(line);
    if (q) out['queries'] = Number(q[1]);
  }
  return out;
}

/**
 * Reconnect storm: N clients are connected and have seen some messages; the node restarts
 * (clients are closed with 1001); messages are posted while they are away; then all of them
 * reconnect at once with `since_seq` = the last seq each saw. Measured: time until every
 * socket is open again and until every socket has seen the newest seq.
 */
async function stormOn(ctx: Ctx, label: string, f: OrgHubFixture): Promise<void> {
  const n = ctx.quick ? 200 : 2_000;
  const missed = ctx.quick ? 20 : 100;
  const gid = `storm-${Date.now().toString(36)}`;
  await f.group(gid);
  const c = await ctx.gen.connect('ws', f.specs(gid, 0, n, 1));
  if (c.failed > 0) throw new Error(`${c.failed} sockets failed to connect: ${c.firstError}`);
  await ctx.gen.run({
    runId: ctx.nextRunId(),
    mode: 'open',
    ratePerSender: 20,
    durationMs: 500,
    drainMs: 3_000,
  });
  const before = await ctx.gen.status();
  if (!(before.lastSeqMin > 0))
    throw new Error('no client saw a message with a seq before the restart');

  ctx.log(`storm: ${n} clients at seq ≥ ${before.lastSeqMin}; restarting the node`);
  await f.stop(0);
  await f.start(0, SERVER_CORE);
  let targetSeq = 0;
  for (let i = 0; i < missed; i++) {
    const r = await f.api<{ message: { seq: number } }>(
      'POST',
      `/api/v1/orgs/${ORG}/groups/${gid}/broadcast`,
      { content: `missed ${i}` },
    );
    targetSeq = r.message.seq;
  }
  const readsBefore = await historyReads(f);
  ctx.log(
    `storm: ${missed} messages posted while away (newest seq ${targetSeq}); ${n} clients reconnect`,
  );
  const r = await ctx.gen.reconnect(targetSeq, 60_000);
  // "never" comes back over IPC as null (JSON has no NaN).
  r.allOpenMs = r.allOpenMs ?? NaN;
  r.allCaughtUpMs = r.allCaughtUpMs ?? NaN;
  const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'never');
  const readsAfter = await historyReads(f);
  const reads = ['database', 'cache']
    .map((k) => `${k} ${(readsAfter[k] ?? 0) - (readsBefore[k] ?? 0)}`)
    .join(', ');
  const readsNote = reads === 'database 0, cache 0' ? 'not counted by this backend' : reads;
  await ctx.gen.closeAll();
  ctx.log(
    `  all open: ${ms(r.allOpenMs)}, all caught up: ${ms(r.allCaughtUpMs)} ` +
      `(${r.caughtUp}/${r.sockets} caught up, ${r.failed} failed${r.firstError ? `: ${r.firstError}` : ''}), gen CPU ${r.genCpuPct.toFixed(0)}%`,
  );
  const scenario = `reconnect storm ${n.toLocaleString('en-US')} clients, ${missed} missed msgs, ${label}`;
  const note = `${r.caughtUp}/${r.sockets} caught up, ${r.failed} failed; history reads: ${readsNote}`;
  ctx.add({
    scenario,
    measure: 'ms until all reconnected',
    better: 'lower',
    values: { OrgHub: r.allOpenMs },
  });
  ctx.add({
    scenario,
    measure: 'ms until all caught up',
    better: 'lower',
    values: { OrgHub: r.allCaughtUpMs },
    note,
  });
  ctx.add({
    scenario,
    measure: 'database queries spent on the reconnects',
    better: 'lower',
    values: { OrgHub: (readsAfter['queries'] ?? NaN) - (readsBefore['queries'] ?? NaN) },
    note: 'every query of the node while the clients reconnected and caught up',
  });
}

export async function runStorm(ctx: Ctx): Promise<void> {
  await stormOn(ctx, 'no Redis', await ctx.orghub());
  if (ctx.quick) {
    ctx.log('storm: with the Redis history cache: full runs only (a second fresh node)');
    return;
  }
  if (!(await redisReachable(REDIS_URL))) {
    ctx.log(`storm: with the Redis history cache skipped: Redis at ${REDIS_URL} does not answer`);
    return;
  }
  // The same on a node with REDIS_URL (embedded database): resumes may come from the cache.
  const f = new OrgHubFixture('storm-redis', { redisUrl: REDIS_URL });
  try {
    ctx.log('storm: OrgHub (PGlite + Redis history cache): starting');
    await f.start(0, SERVER_CORE);
    await f.setup(1, 1);
    await stormOn(ctx, 'Redis history cache', f);
  } finally {
    await f.close();
  }
}
