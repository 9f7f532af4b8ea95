import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import {
  BUCKET_MS,
  type ConnectReply,
  type RunReply,
  type SimCommand,
  type SimReply,
  type SimSocket,
} from './protocol.js';

/**
 * One client process of the cluster simulation: it holds the sockets of one OrgHub node (a
 * process may hold about 20,000 descriptors here, so 30,000 sockets need several), sends from
 * its senders and times every delivery. Send times are wall-clock milliseconds
 * (`timeOrigin + now`), so a message sent by one worker is timed by the worker that receives
 * it.
 */
const CONTENT_KEY = Buffer.from('"content":"');
const ERROR_TYPE = Buffer.from('"type":"error"');

interface Client {
  spec: SimSocket;
  ws: WebSocket | undefined;
}

const clients: Client[] = [];
let runId = -1;
let received = 0;
let closed = 0;
const counts = new Map<number, number>();
const errors: Record<string, number> = {};
const now = () => performance.timeOrigin + performance.now();

function onMessage(data: Buffer) {
  const at = data.indexOf(CONTENT_KEY);
  if (at < 0) {
    if (data.indexOf(ERROR_TYPE) >= 0) {
      const code = (JSON.parse(data.toString()) as { code?: string }).code ?? 'unknown';
      errors[code] = (errors[code] ?? 0) + 1;
    }
    return;
  }
  const start = at + CONTENT_KEY.length;
  const head = data.toString('latin1', start, start + 40);
  const bar = head.indexOf('|');
  if (Number(head.slice(0, bar)) !== runId) return;
  const sentAt = Number(head.slice(bar + 1, head.indexOf('|', bar + 1)));
  const b = Math.max(0, Math.floor((now() - sentAt) / BUCKET_MS));
  counts.set(b, (counts.get(b) ?? 0) + 1);
  received++;
}

function open(c: Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(c.spec.url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    c.ws = ws;
    let settled = false;
    ws.on('open', () => {
      settled = true;
      resolve();
    });
    ws.on('unexpected-response', (_req, res) => {
      settled = true;
      reject(new Error(`HTTP ${res.statusCode} on upgrade`));
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    ws.on('close', () => {
      if (settled && runId >= 0) closed++;
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) onMessage(data);
    });
  });
}

async function connect(sockets: SimSocket[], concurrency: number, timeoutMs: number) {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < sockets.length) {
      const c: Client = { spec: sockets[next++]!, ws: undefined };
      clients.push(c);
      try {
        await open(c, timeoutMs);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const reply: ConnectReply = {
    connected: sockets.length - failed,
    failed,
    firstError,
    ms: performance.now() - started,
  };
  return reply;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(cmd: Extract<SimCommand, { cmd: 'run' }>): Promise<RunReply> {
  runId = cmd.runId;
  received = 0;
  closed = 0;
  counts.clear();
  for (const k of Object.keys(errors)) delete errors[k];
  const senders = clients.filter((c) => c.spec.sender && c.ws?.readyState === WebSocket.OPEN);
  const sentByGroup: Record<number, number> = {};
  // Each sender ticks on its own phase so the load is spread over each second.
  const periodMs = 1000 / cmd.ratePerSender;
  const t0 = performance.now();
  const timers = senders.map((c, i) => {
    const send = () => {
      if (performance.now() - t0 >= cmd.durationMs) return;
      if (c.ws?.readyState !== WebSocket.OPEN) return;
      c.ws.send(`{"content":"${cmd.runId}|${now().toFixed(3)}|x"}`);
      sentByGroup[c.spec.group] = (sentByGroup[c.spec.group] ?? 0) + 1;
    };
    let interval: NodeJS.Timeout | undefined;
    const first = setTimeout(
      () => {
        send();
        interval = setInterval(send, periodMs);
      },
      (periodMs * i) / Math.max(1, senders.length),
    );
    return () => {
      clearTimeout(first);
      clearInterval(interval);
    };
  });
  await sleep(cmd.durationMs);
  for (const stop of timers) stop();
  await sleep(cmd.drainMs);
  return {
    sentByGroup,
    received,
    buckets: [...counts.entries()],
    closed,
    errors: { ...errors },
  };
}

process.on('message', (cmd: SimCommand) => {
  const reply = (result: SimReply) => process.send!(result);
  const handle = async () => {
    switch (cmd.cmd) {
      case 'connect':
        return connect(cmd.sockets, cmd.concurrency, cmd.timeoutMs);
      case 'run':
        return run(cmd);
      case 'status':
        return { open: clients.filter((c) => c.ws?.readyState === WebSocket.OPEN).length };
      case 'close':
        for (const c of clients) c.ws?.terminate();
        clients.length = 0;
        return null;
    }
  };
  handle().then(
    (result) => reply({ id: cmd.id, ok: true, result }),
    (err: Error) => reply({ id: cmd.id, ok: false, error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
