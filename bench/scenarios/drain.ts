import { WebSocket } from 'ws';
import { SERVER_CORE, type Ctx } from '../lib/context.js';
import { OrgHubFixture } from '../lib/orghub.js';

const BUCKET_MS = 100;

/** Opens `n` group sockets, `batch` at a time; each records when it was closed, and with what. */
async function openSockets(urls: string[], batch: number) {
  const closes: Array<{ at: number; code: number }> = [];
  const sockets: WebSocket[] = [];
  for (let i = 0; i < urls.length; i += batch) {
    await Promise.all(
      urls.slice(i, i + batch).map(
        (url) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(url);
            ws.once('open', () => resolve());
            ws.once('error', reject);
            ws.on('close', (code) => closes.push({ at: performance.now(), code }));
            sockets.push(ws);
          }),
      ),
    );
  }
  return { closes, sockets };
}

/**
 * Rolling restarts without a storm (issue 11, item 7): N idle group sockets on one node, then
 * SIGTERM; every 1001 close is timed on the client side. With `SHUTDOWN_DRAIN=0` every client
 * is closed (and so reconnects elsewhere) at once; with the default window they leave in
 * batches. The peak closes per 100 ms is the reconnect rate the other nodes must absorb.
 */
async function drainOn(ctx: Ctx, drain: string, n: number): Promise<void> {
  const f = new OrgHubFixture(`drain-${drain}`, { env: { SHUTDOWN_DRAIN: drain } });
  try {
    await f.start(0, SERVER_CORE);
    const t = await f.setup(1, 1);
    const gid = `drain-${Date.now().toString(36)}`;
    await f.group(gid);
    const base = f.base().replace('http', 'ws');
    const urls = Array.from(
      { length: n },
      (_, i) =>
        `${base}/ws/orgs/bench/groups/${gid}?clientId=d${i}&access_token=${t.subscribers[0]!}`,
    );
    const { closes, sockets } = await openSockets(urls, 100);
    ctx.log(`drain: ${n} sockets open on a node with SHUTDOWN_DRAIN=${drain}; SIGTERM`);
    const t0 = performance.now();
    await f.stop(0);
    const exitedMs = performance.now() - t0;
    for (const ws of sockets) ws.terminate();
    const byCode = new Map<number, number>();
    for (const c of closes) byCode.set(c.code, (byCode.get(c.code) ?? 0) + 1);
    const buckets = new Map<number, number>();
    for (const c of closes) {
      const b = Math.floor((c.at - t0) / BUCKET_MS);
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
    }
    const peak = Math.max(0, ...buckets.values());
    const times = closes.map((c) => c.at - t0);
    const spread = times.length ? Math.max(...times) - Math.min(...times) : NaN;
    const codes = [...byCode].map(([c, k]) => `${k}× ${c}`).join(', ');
    ctx.log(
      `  closes: ${codes}; peak ${peak} per ${BUCKET_MS} ms; spread ${spread.toFixed(0)} ms; exited after ${exitedMs.toFixed(0)} ms`,
    );
    const scenario = `rolling restart, ${n.toLocaleString('en-US')} sockets, SHUTDOWN_DRAIN=${drain}`;
    ctx.add({
      scenario,
      measure: `peak clients closed (so reconnecting) per ${BUCKET_MS} ms`,
      better: 'lower',
      values: { OrgHub: peak },
      note: codes,
    });
    ctx.add({
      scenario,
      measure: 'ms from the first close to the last',
      values: { OrgHub: spread },
      note: `process exited ${exitedMs.toFixed(0)} ms after SIGTERM`,
    });
  } finally {
    await f.close();
  }
}

export async function runDrain(ctx: Ctx): Promise<void> {
  const n = ctx.quick ? 500 : 2_000;
  await drainOn(ctx, '0', n);
  await drainOn(ctx, '5s', n);
}
