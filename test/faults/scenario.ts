import { checkConsistency, Sender, StreamClient, type SendStats } from './clients.js';
import { pollUntil, type FaultCluster } from './harness.js';

/** What one fault run measured: the figures RELIABILITY.md quotes. */
export interface FaultResult {
  fault: string;
  /** From the end of the fault (SIGCONT, restart) until every sender had a new message acked. */
  recoveryMs: number;
  sent: number;
  acked: number;
  stored: number;
  lateAcks: number;
  maxAckMs: number;
  unavailable: number;
  resent: number;
  reconnects: number;
  problems: string[];
}

export interface Traffic {
  senders: Sender[];
  receivers: StreamClient[];
  all: StreamClient[];
}

/** One sender and one receiver per node, on a fresh group, sending every `everyMs`. */
export async function startTraffic(
  c: FaultCluster,
  groupId: string,
  everyMs = 25,
): Promise<Traffic> {
  await c.group(groupId);
  const senders: Sender[] = [];
  const receivers: StreamClient[] = [];
  for (const node of c.nodes) {
    const s = await c.user();
    const r = await c.user();
    senders.push(new Sender(c, s.token, groupId, `s${node.index}`, node.index));
    receivers.push(new StreamClient(c, r.token, groupId, `r${node.index}`, node.index));
  }
  const all = [...senders, ...receivers];
  await Promise.all(all.map((x) => x.connect()));
  for (const s of senders) s.start(everyMs);
  // Traffic flows on every node before the fault. 45 s, not 20: in one CI run (PostgreSQL +
  // Redis pass, c70f266) the sender on the node the previous case had kill -9'd and restarted
  // had no ack after 20 s while the other two had ~1,600 (cause not found yet: see the closing
  // note of 2026-12-03); the wait is not what these cases measure, the fault's acks are.
  await withClients(
    all,
    pollUntil(
      () => senders.map((s) => s.stats.acked),
      (a) => a.every((n) => n >= 5),
      { timeoutMs: 45_000, what: 'acks before the fault' },
    ),
  );
  return { senders, receivers, all };
}

/** What each client saw, for a wait that timed out (its own message says only the counts). */
export function describeClients(clients: StreamClient[]): string {
  return clients
    .map((x) => {
      const stats = x instanceof Sender ? ` ${JSON.stringify(x.stats)}` : '';
      const errors = x.errors.length ? ` errors: ${x.errors.slice(0, 5).join('; ')}` : '';
      return `${x.name}: node ${x.node}, ${x.open ? 'open' : 'closed'}, last seq ${x.lastSeq}, reconnects ${x.reconnects}${stats}${errors}`;
    })
    .join('\n');
}

async function withClients<T>(clients: StreamClient[], wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${describeClients(clients)}`, { cause: err });
  }
}

/** Resolves with the time until every sender has had two more messages acked. */
export async function recovery(t: Traffic, timeoutMs = 30_000): Promise<number> {
  const from = Date.now();
  const marks = t.senders.map((s) => s.stats.acked);
  await withClients(
    t.all,
    pollUntil(
      () => t.senders.map((s, i) => s.stats.acked - marks[i]!),
      (d) => d.every((n) => n >= 2),
      { timeoutMs, what: 'acks after the fault' },
    ),
  );
  return Date.now() - from;
}

/** Stops the senders, waits for every stream to reach the store's end, and checks it all. */
export async function finish(
  c: FaultCluster,
  fault: string,
  groupId: string,
  t: Traffic,
  recoveryMs: number,
): Promise<FaultResult> {
  await Promise.all(t.senders.map((s) => s.stop()));
  const rows = await c.stored(groupId);
  const end = rows.length;
  // Quiet now: what a node missed comes from its gap fills or the audit (every 5 s).
  await pollUntil(
    () => t.all.map((x) => x.lastSeq),
    (seqs) => seqs.every((s) => s >= end),
    { timeoutMs: 20_000, what: `every stream at seq ${end}` },
  ).catch(() => {});
  const problems = checkConsistency(await c.stored(groupId), t.all, t.senders);
  problems.push(...c.unexpectedExits);
  for (const x of t.all) x.close();
  const sum = (k: keyof SendStats) => t.senders.reduce((n, s) => n + s.stats[k], 0);
  const result: FaultResult = {
    fault,
    recoveryMs,
    sent: sum('sent'),
    acked: sum('acked'),
    stored: rows.length,
    lateAcks: sum('lateAcks'),
    maxAckMs: Math.max(...t.senders.map((s) => s.stats.maxAckMs)),
    unavailable: sum('unavailable'),
    resent: sum('resent'),
    reconnects: t.all.reduce((n, x) => n + x.reconnects, 0),
    problems,
  };
  process.stdout.write(
    `fault ${fault}: recovered in ${recoveryMs} ms; sent ${result.sent}, acked ${result.acked}, ` +
      `stored ${result.stored}; late acks ${result.lateAcks} (max ${result.maxAckMs} ms), ` +
      `unavailable ${result.unavailable}, re-sent ${result.resent}, reconnects ${result.reconnects}; ` +
      `problems ${problems.length}\n`,
  );
  return result;
}

export const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));
