import { SERVER_CORE, type Ctx } from '../lib/context.js';
import { ORG, type OrgHubFixture } from '../lib/orghub.js';

/** Sums the samples of counters whose name matches, from the node's /metrics (NaN if none). */
async function counter(f: OrgHubFixture, re: RegExp): Promise<number> {
  const res = await fetch(`${f.base()}/metrics`, {
    headers: { authorization: `Bearer ${f.adminToken}` },
  });
  if (!res.ok) return NaN;
  let sum = NaN;
  for (const line of (await res.text()).split('\n')) {
    const [name, value] = line.split(' ');
    if (name && !line.startsWith('#') && re.test(name))
      sum = (Number.isNaN(sum) ? 0 : sum) + Number(value);
  }
  return sum;
}

/**
 * Reconnect storm: N clients are connected and have seen some messages; the node restarts
 * (clients are closed with 1001); messages are posted while they are away; then all of them
 * reconnect at once with `since_seq` = the last seq each saw. Measured: time until every
 * socket is open again and until every socket has seen the newest seq.
 */
export async function runStorm(ctx: Ctx): Promise<void> {
  const n = ctx.quick ? 200 : 2_000;
  const missed = ctx.quick ? 20 : 100;
  const f = await ctx.orghub();
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
  const queriesBefore = await counter(f, /^orghub_db_quer/);
  ctx.log(
    `storm: ${missed} messages posted while away (newest seq ${targetSeq}); ${n} clients reconnect`,
  );
  const r = await ctx.gen.reconnect(targetSeq, 60_000);
  const queries = (await counter(f, /^orghub_db_quer/)) - queriesBefore;
  await ctx.gen.closeAll();
  ctx.log(
    `  all open in ${r.allOpenMs.toFixed(0)} ms, all caught up in ${r.allCaughtUpMs.toFixed(0)} ms ` +
      `(${r.caughtUp}/${r.sockets} caught up, ${r.failed} failed${r.firstError ? `: ${r.firstError}` : ''}), gen CPU ${r.genCpuPct.toFixed(0)}%`,
  );
  const scenario = `reconnect storm ${n.toLocaleString('en-US')} clients, ${missed} missed msgs`;
  const note = `${r.caughtUp}/${r.sockets} caught up, ${r.failed} failed; database queries: ${Number.isNaN(queries) ? 'not exported by /metrics' : queries}; Redis history cache: not measured (single node)`;
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
}
