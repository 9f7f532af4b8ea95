/** IPC between `bench/cluster-sim.ts` and its client workers (one per OrgHub node). */

export interface SimSocket {
  url: string;
  /** Index of the group over the whole simulation. */
  group: number;
  sender: boolean;
}

export type SimCommand =
  | { cmd: 'connect'; id: number; sockets: SimSocket[]; concurrency: number; timeoutMs: number }
  | {
      cmd: 'run';
      id: number;
      runId: number;
      ratePerSender: number;
      durationMs: number;
      drainMs: number;
    }
  | { cmd: 'status'; id: number }
  | { cmd: 'close'; id: number };

export interface ConnectReply {
  connected: number;
  failed: number;
  firstError: string | undefined;
  ms: number;
}

export interface RunReply {
  /** Messages sent, by group index. */
  sentByGroup: Record<number, number>;
  received: number;
  /** Latency histogram: [bucket index (0.1 ms), count] pairs of the non-empty buckets. */
  buckets: Array<[number, number]>;
  /** Sockets the server closed during the run. */
  closed: number;
  errors: Record<string, number>;
}

export interface StatusReply {
  open: number;
}

export type SimReply =
  | { id: number; ok: true; result: ConnectReply | RunReply | StatusReply | null }
  | { id: number; ok: false; error: string };

/** Latency buckets are 0.1 ms wide. */
export const BUCKET_MS = 0.1;
