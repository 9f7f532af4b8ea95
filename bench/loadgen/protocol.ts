/**
 * The IPC protocol between the bench runner (parent) and the load generator (child process).
 * Every command carries an `id`; the generator answers each with exactly one reply of the same id.
 */

/** How the generator speaks to a server: plain WebSocket text frames, or Socket.IO 4. */
export type Wire = 'ws' | 'sio';

export interface SocketSpec {
  /** ws: the full ws:// URL. sio: the http:// base URL (the room goes in the query). */
  url: string;
  /** Index of the group (room) this socket is in: expected deliveries are counted per group. */
  group: number;
  /** Whether this socket sends (it also receives, like every member of the group). */
  sender: boolean;
}

export interface ConnectCmd {
  cmd: 'connect';
  id: number;
  wire: Wire;
  sockets: SocketSpec[];
  /** Handshakes in flight at once. */
  concurrency: number;
  timeoutMs: number;
}

export interface RateRunCmd {
  cmd: 'run';
  id: number;
  /** Tags the content so that stragglers of an earlier run are never counted. */
  runId: number;
  /** open: each sender sends `ratePerSender` msgs/s whatever happens; closed: each sender keeps `window` messages in flight and sends the next on its own echo. */
  mode: 'open' | 'closed';
  ratePerSender: number;
  window: number;
  durationMs: number;
  /** After sending stops: wait at most this long for the expected deliveries. */
  drainMs: number;
  contentBytes: number;
}

export interface ReconnectCmd {
  cmd: 'reconnect';
  id: number;
  /** Every socket reconnects at once with `since_seq=<last seq it saw>` and must reach this seq. */
  targetSeq: number;
  timeoutMs: number;
}

export interface SimpleCmd {
  cmd: 'closeAll' | 'exit' | 'status';
  id: number;
}

export type Command = ConnectCmd | RateRunCmd | ReconnectCmd | SimpleCmd;

export interface ConnectResult {
  connected: number;
  failed: number;
  firstError: string | undefined;
  ms: number;
}

export interface RunResult {
  sent: number;
  expected: number;
  received: number;
  lost: number;
  /** Received deliveries per second of the send window. */
  deliveredPerSec: number;
  /** Messages per second the senders got accepted (their own echo), closed mode. */
  ackedPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Generator CPU over the run, in % of one core (100 = saturated). */
  genCpuPct: number;
  /** Error frames by code, and sockets the server closed during the run. */
  errors: Record<string, number>;
  closedDuringRun: number;
  sendWindowMs: number;
}

export interface ReconnectResult {
  sockets: number;
  /** Time until every socket was open again. */
  allOpenMs: number;
  /** Time until every socket had seen `targetSeq`. */
  allCaughtUpMs: number;
  caughtUp: number;
  failed: number;
  firstError: string | undefined;
  genCpuPct: number;
}

export interface StatusResult {
  open: number;
  lastSeqMin: number;
}

export type Reply =
  | {
      id: number;
      ok: true;
      result: ConnectResult | RunResult | ReconnectResult | StatusResult | null;
    }
  | { id: number; ok: false; error: string };
