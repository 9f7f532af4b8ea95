import { WebSocket } from 'ws';
import type { FaultCluster, StoredRow } from './harness.js';

interface MessageFrame {
  type: 'message';
  id: string;
  seq: number;
  user_id: string | null;
  client_msg_id: string | null;
}
interface ErrorFrame {
  type: 'error';
  code: string;
  client_msg_id: string | null;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A group socket client that follows the stream the way the contract tells clients to: it
 * records every message frame, and when its socket closes it reconnects to the next node that
 * is up with `since_seq` = the last seq it holds. Anything out of order (a gap, a duplicate
 * that is not the reply to one of its own resends) is recorded in `errors`.
 */
export class StreamClient {
  readonly seqs: number[] = [];
  readonly ids: string[] = [];
  readonly errors: string[] = [];
  reconnects = 0;
  protected ws: WebSocket | undefined;
  protected stopped = false;
  private connecting: Promise<void> | undefined;
  private nodeAt: number;
  /** client_msg_ids this client has sent: a repeat of one of them is a reply, not a duplicate. */
  protected readonly own = new Set<string>();

  constructor(
    protected readonly cluster: FaultCluster,
    protected readonly token: string,
    readonly groupId: string,
    readonly name: string,
    node: number,
  ) {
    this.nodeAt = node;
  }

  get lastSeq(): number {
    return this.seqs.at(-1) ?? 0;
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** The node index this client is (or was last) connected to. */
  get node(): number {
    return this.nodeAt;
  }

  /** Connects (first to its own node, then round the others that are up), within 60 s. */
  connect(): Promise<void> {
    this.connecting ??= this.dial().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async dial(): Promise<void> {
    const deadline = Date.now() + 60_000;
    const n = this.cluster.nodes.length;
    for (let attempt = 0; !this.stopped; attempt++) {
      if (Date.now() > deadline) throw new Error(`${this.name}: could not reconnect in 60 s`);
      const node = this.cluster.nodes[(this.nodeAt + attempt) % n]!;
      if (!node.up) {
        if (attempt % n === n - 1) await pause(100);
        continue;
      }
      try {
        await this.openOn(node.index, node.url.replace('http', 'ws'));
        this.nodeAt = node.index;
        return;
      } catch {
        await pause(100);
      }
    }
  }

  private openOn(index: number, base: string): Promise<void> {
    const url = `${base}/ws/orgs/${this.cluster.orgId}/groups/${this.groupId}?clientId=${this.name}&since_seq=${this.lastSeq}`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.token}` } });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('open timed out'));
      }, 5000);
      ws.once('open', () => {
        clearTimeout(timer);
        this.ws = ws;
        ws.on('message', (data) => this.onFrame(JSON.parse(String(data)) as MessageFrame));
        ws.once('close', () => {
          if (this.ws !== ws) return;
          this.ws = undefined;
          this.onClosed();
          if (this.stopped) return;
          this.reconnects++;
          // The next node in turn: the one that closed is stopping or gone.
          this.nodeAt = (index + 1) % this.cluster.nodes.length;
          void this.connect().catch((err: Error) => this.errors.push(err.message));
        });
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        res.resume();
        ws.terminate();
        reject(new Error(`refused ${res.statusCode}`));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  protected onClosed(): void {}

  protected onFrame(f: MessageFrame | ErrorFrame | { type: string }): void {
    if (f.type !== 'message') return;
    const m = f as MessageFrame;
    if (m.seq <= this.lastSeq) {
      if (m.client_msg_id === null || !this.own.has(m.client_msg_id)) {
        this.errors.push(`${this.name}: duplicate seq ${m.seq} after ${this.lastSeq}`);
      }
      this.onMessage(m, true);
      return;
    }
    if (m.seq !== this.lastSeq + 1) {
      this.errors.push(`${this.name}: gap, seq ${m.seq} after ${this.lastSeq}`);
    }
    this.seqs.push(m.seq);
    this.ids.push(m.id);
    this.onMessage(m, false);
  }

  protected onMessage(_m: MessageFrame, _repeat: boolean): void {}

  close(): void {
    this.stopped = true;
    this.ws?.close();
  }
}

export interface SendStats {
  sent: number;
  acked: number;
  /** Acks that took longer than a second (the fault held them). */
  lateAcks: number;
  maxAckMs: number;
  unavailable: number;
  /** Sends re-sent with the same client_msg_id after the socket closed. */
  resent: number;
  /** Sends that got no answer at all within 30 s (a defect). */
  unanswered: number;
}

interface Waiting {
  id: string;
  resolve(outcome: 'ack' | 'unavailable' | 'closed'): void;
}

/**
 * A sender: one message in flight at a time, each with its own client_msg_id; an
 * `unavailable` answer is retried, a closed socket is reconnected and the message re-sent
 * with the same id, so each message is stored once whatever happens. `acks` maps each
 * client_msg_id to the seq its echo (or the original's reply) carried.
 */
export class Sender extends StreamClient {
  readonly acks = new Map<string, number>();
  readonly stats: SendStats = {
    sent: 0,
    acked: 0,
    lateAcks: 0,
    maxAckMs: 0,
    unavailable: 0,
    resent: 0,
    unanswered: 0,
  };
  private waiting: Waiting | undefined;
  private running: Promise<void> | undefined;
  private counter = 0;

  /** Sends messages one after another every `everyMs` until `stop()`. */
  start(everyMs = 20): void {
    this.running = (async () => {
      while (!this.halt && !this.stopped) {
        await this.sendOne();
        if (everyMs) await pause(everyMs);
      }
    })();
  }

  /** Stops after the message in flight is acknowledged; resolves then. */
  async stop(): Promise<void> {
    this.halt = true;
    await this.running;
  }
  private halt = false;

  override close(): void {
    this.halt = true;
    super.close();
  }

  /** Sends one message until it is acknowledged (retrying); resolves with its seq. */
  async sendOne(): Promise<number | undefined> {
    const id = `${this.name}-${++this.counter}`;
    this.own.add(id);
    this.stats.sent++;
    const started = Date.now();
    let first = true;
    for (;;) {
      if (!this.open) await this.connect();
      if (this.acks.has(id)) break; // the replay after reconnecting carried it
      if (!first) this.stats.resent++;
      first = false;
      const outcome = await new Promise<'ack' | 'unavailable' | 'closed' | 'timeout'>((resolve) => {
        const t = setTimeout(() => resolve('timeout'), 30_000);
        this.waiting = {
          id,
          resolve: (o) => {
            clearTimeout(t);
            resolve(o);
          },
        };
        this.ws?.send(JSON.stringify({ content: `message ${id}`, client_msg_id: id }));
      });
      this.waiting = undefined;
      if (outcome === 'ack' || this.acks.has(id)) break;
      if (outcome === 'unavailable') {
        this.stats.unavailable++;
        await pause(100);
      } else if (outcome === 'timeout') {
        this.stats.unanswered++;
        this.errors.push(`${this.name}: no answer to ${id} in 30 s`);
        this.ws?.terminate();
      }
    }
    const ms = Date.now() - started;
    this.stats.acked++;
    if (ms > 1000) this.stats.lateAcks++;
    this.stats.maxAckMs = Math.max(this.stats.maxAckMs, ms);
    return this.acks.get(id);
  }

  protected override onClosed(): void {
    this.waiting?.resolve('closed');
  }

  protected override onFrame(f: MessageFrame | ErrorFrame | { type: string }): void {
    if (f.type === 'error') {
      const e = f as ErrorFrame;
      if (e.client_msg_id && e.client_msg_id === this.waiting?.id) {
        if (e.code === 'unavailable') this.waiting.resolve('unavailable');
        else this.errors.push(`${this.name}: error ${e.code} for ${e.client_msg_id}`);
      }
      return;
    }
    super.onFrame(f);
  }

  protected override onMessage(m: MessageFrame, repeat: boolean): void {
    if (m.client_msg_id === null || !this.own.has(m.client_msg_id)) return;
    const before = this.acks.get(m.client_msg_id);
    if (before !== undefined && before !== m.seq) {
      this.errors.push(`${this.name}: ${m.client_msg_id} acked as ${before} and ${m.seq}`);
    }
    if (!repeat || before === undefined) this.acks.set(m.client_msg_id, m.seq);
    if (this.waiting?.id === m.client_msg_id) this.waiting.resolve('ack');
  }
}

/**
 * The end assertions of every fault: the stored seqs have no hole; every acknowledged message
 * is stored exactly once, at the seq it was acknowledged with; every client's stream is the
 * stored sequence, in order, without gaps or duplicates. Returns the problems found.
 */
export function checkConsistency(
  rows: StoredRow[],
  clients: StreamClient[],
  senders: Sender[],
): string[] {
  const problems: string[] = [];
  rows.forEach((r, i) => {
    if (r.seq !== i + 1) problems.push(`stored seq ${r.seq} at position ${i + 1}`);
  });
  const byMsgId = new Map<string, StoredRow[]>();
  for (const r of rows) {
    if (r.client_msg_id) byMsgId.set(r.client_msg_id, [...(byMsgId.get(r.client_msg_id) ?? []), r]);
  }
  for (const s of senders) {
    for (const [id, seq] of s.acks) {
      const stored = byMsgId.get(id) ?? [];
      if (stored.length !== 1) problems.push(`${id} acked but stored ${stored.length} times`);
      else if (stored[0]!.seq !== seq)
        problems.push(`${id} acked as ${seq}, stored as ${stored[0]!.seq}`);
    }
  }
  const want = rows.map((r) => r.id).join(',');
  for (const c of clients) {
    problems.push(...c.errors);
    if (c.ids.join(',') !== want) {
      problems.push(
        `${c.name}: stream of ${c.seqs.length} (last ${c.lastSeq}) differs from the ${rows.length} stored`,
      );
    }
  }
  return problems;
}
