import { performance } from 'node:perf_hooks';
import { createSocket, type BenchSocket, type SocketEvents } from './clients.js';
import { Histogram } from './histogram.js';
import type {
  ConnectCmd,
  ConnectResult,
  RateRunCmd,
  ReconnectCmd,
  ReconnectResult,
  RunResult,
  StatusResult,
  Wire,
} from './protocol.js';

const TICK_MS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuPct(start: NodeJS.CpuUsage, wallMs: number): number {
  const d = process.cpuUsage(start);
  return wallMs > 0 ? ((d.user + d.system) / 1000 / wallMs) * 100 : 0;
}

/** Runs handshakes with at most `limit` in flight; returns the failures' messages. */
async function pooled(
  items: BenchSocket[],
  limit: number,
  open: (s: BenchSocket) => Promise<void>,
) {
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const s = items[next++]!;
      await open(s).catch((err: Error) => errors.push(err.message));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}

/**
 * The load generator: holds the sockets, sends timestamped content at an offered rate (or
 * closed-loop on each sender's own echo), and counts what arrives against what was expected.
 */
export class Generator implements SocketEvents {
  private wire: Wire = 'ws';
  private sockets: BenchSocket[] = [];
  private openPerGroup: number[] = [];
  // Per-run state.
  private runId = -1;
  private hist = new Histogram();
  private received = 0;
  private expected = 0;
  private acked = 0;
  private closedDuringRun = 0;
  private errors: Record<string, number> = {};
  private inflight: number[] = [];
  private closedLoop: { cmd: RateRunCmd; sentBy: number[]; sending: boolean } | undefined;

  onOpen(sock: BenchSocket): void {
    this.openPerGroup[sock.spec.group] = (this.openPerGroup[sock.spec.group] ?? 0) + 1;
  }

  onClose(sock: BenchSocket): void {
    // Sockets replaced by a reconnect or closed by closeAll no longer count.
    if (this.sockets[sock.index] !== sock) return;
    this.openPerGroup[sock.spec.group] = (this.openPerGroup[sock.spec.group] ?? 1) - 1;
    this.closedDuringRun += 1;
  }

  onErrorFrame(_sock: BenchSocket, code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  onContent(sock: BenchSocket, content: string): void {
    const a = content.indexOf('|');
    const b = content.indexOf('|', a + 1);
    const c = content.indexOf('|', b + 1);
    if (a < 0 || b < 0 || c < 0) return;
    if (Number(content.slice(0, a)) !== this.runId) return;
    this.received += 1;
    this.hist.record(performance.now() - Number(content.slice(b + 1, c)));
    if (Number(content.slice(a + 1, b)) === sock.index) {
      this.acked += 1;
      const loop = this.closedLoop;
      if (loop?.sending) {
        this.inflight[sock.index]! -= 1;
        this.sendOne(sock, loop.cmd, loop.sentBy);
      }
    }
  }

  async connect(cmd: ConnectCmd): Promise<ConnectResult> {
    this.closeAll();
    this.wire = cmd.wire;
    this.sockets = cmd.sockets.map((spec, i) => createSocket(cmd.wire, i, spec, this));
    const started = performance.now();
    const errors = await pooled(this.sockets, cmd.concurrency, (s) =>
      s.open(s.spec.url, cmd.timeoutMs),
    );
    return {
      connected: this.sockets.filter((s) => s.isOpen).length,
      failed: errors.length,
      firstError: errors[0],
      ms: performance.now() - started,
    };
  }

  private sendOne(sock: BenchSocket, cmd: RateRunCmd, sentBy: number[]): void {
    const head = `${cmd.runId}|${sock.index}|${performance.now().toFixed(3)}|`;
    sock.send(head + 'x'.repeat(Math.max(0, cmd.contentBytes - head.length)));
    sentBy[sock.index]! += 1;
    this.inflight[sock.index] = (this.inflight[sock.index] ?? 0) + 1;
    this.expected += this.openPerGroup[sock.spec.group] ?? 0;
  }

  async run(cmd: RateRunCmd): Promise<RunResult> {
    this.runId = cmd.runId;
    this.hist = new Histogram();
    this.received = 0;
    this.expected = 0;
    this.acked = 0;
    this.closedDuringRun = 0;
    this.errors = {};
    this.inflight = [];
    const senders = this.sockets.filter((s) => s.spec.sender && s.isOpen);
    const sentBy: number[] = this.sockets.map(() => 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (cmd.mode === 'closed') {
      this.closedLoop = { cmd, sentBy, sending: true };
      for (const s of senders) for (let w = 0; w < cmd.window; w++) this.sendOne(s, cmd, sentBy);
      await sleep(cmd.durationMs);
      this.closedLoop.sending = false;
    } else {
      // Senders are staggered across one interval so they do not all fire in the same tick.
      const offsets = senders.map((_, i) => (i / senders.length) * (1000 / cmd.ratePerSender));
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const elapsed = performance.now() - t0;
          const done = elapsed >= cmd.durationMs;
          senders.forEach((s, i) => {
            const t = Math.min(elapsed, cmd.durationMs) - offsets[i]!;
            const due = t < 0 ? 0 : Math.floor((t * cmd.ratePerSender) / 1000) + 1;
            while (sentBy[s.index]! < due && s.isOpen) this.sendOne(s, cmd, sentBy);
          });
          if (done) {
            clearInterval(timer);
            resolve();
          }
        }, TICK_MS);
      });
    }
    const sendWindowMs = performance.now() - t0;
    const drainUntil = performance.now() + cmd.drainMs;
    while (this.received < this.expected && performance.now() < drainUntil) await sleep(10);
    const wallMs = performance.now() - t0;
    const sent = sentBy.reduce((a, b) => a + b, 0);
    this.closedLoop = undefined;
    const result: RunResult = {
      sent,
      expected: this.expected,
      received: this.received,
      lost: Math.max(0, this.expected - this.received),
      deliveredPerSec: (this.received / sendWindowMs) * 1000,
      ackedPerSec: (this.acked / sendWindowMs) * 1000,
      p50: this.hist.quantile(0.5),
      p95: this.hist.quantile(0.95),
      p99: this.hist.quantile(0.99),
      max: this.hist.max,
      genCpuPct: cpuPct(cpu0, wallMs),
      errors: this.errors,
      closedDuringRun: this.closedDuringRun,
      sendWindowMs,
    };
    this.runId = -1;
    return result;
  }

  async reconnect(cmd: ReconnectCmd): Promise<ReconnectResult> {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const olds = this.sockets;
    for (const s of olds) s.close();
    this.openPerGroup = [];
    const fresh = olds.map((old) => {
      const s = createSocket(this.wire, old.index, old.spec, this);
      s.lastSeq = old.lastSeq;
      return s;
    });
    this.sockets = fresh;
    const errors: string[] = [];
    let allOpenMs = 0;
    let opened = 0;
    await Promise.all(
      fresh.map((s) => {
        const url = new URL(s.spec.url);
        url.searchParams.set('since_seq', String(s.lastSeq));
        return s
          .open(url.toString(), cmd.timeoutMs)
          .then(() => {
            if (++opened === fresh.length) allOpenMs = performance.now() - t0;
          })
          .catch((err: Error) => errors.push(err.message));
      }),
    );
    const deadline = t0 + cmd.timeoutMs;
    const behind = () => fresh.filter((s) => s.isOpen && s.lastSeq < cmd.targetSeq).length;
    while (behind() > 0 && performance.now() < deadline) await sleep(5);
    const caughtUp = fresh.filter((s) => s.lastSeq >= cmd.targetSeq).length;
    const wallMs = performance.now() - t0;
    return {
      sockets: fresh.length,
      allOpenMs: opened === fresh.length ? allOpenMs : NaN,
      allCaughtUpMs: caughtUp === fresh.length ? wallMs : NaN,
      caughtUp,
      failed: errors.length,
      firstError: errors[0],
      genCpuPct: cpuPct(cpu0, wallMs),
    };
  }

  status(): StatusResult {
    return {
      open: this.sockets.filter((s) => s.isOpen).length,
      lastSeqMin: this.sockets.reduce((m, s) => Math.min(m, s.lastSeq), Infinity),
    };
  }

  closeAll(): void {
    for (const s of this.sockets) s.close();
    this.sockets = [];
    this.openPerGroup = [];
  }
}
