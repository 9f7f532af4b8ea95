/** What the heartbeat needs of a socket: the state of its last ping, and how to ping or cut it. */
export interface Heartbeating {
  lastPingAt: number;
  awaitingPong: boolean;
  ping(): void;
  /** Cuts a peer that stopped answering (recorded as 1006). */
  terminate(code: number): void;
}

/**
 * One timer for every socket of the server: pings each socket every `pingIntervalMs` and cuts
 * one that has not answered within `pongTimeoutMs` of its ping. Returns the timer (unref'd)
 * so the server can clear it on close.
 */
export function startHeartbeat(
  open: Iterable<Heartbeating>,
  opts: { pingIntervalMs: number; pongTimeoutMs: number },
): NodeJS.Timeout {
  const tickMs = Math.max(20, Math.floor(Math.min(opts.pingIntervalMs, opts.pongTimeoutMs) / 4));
  const timer = setInterval(() => {
    const now = Date.now();
    for (const conn of open) {
      if (conn.awaitingPong) {
        if (now - conn.lastPingAt >= opts.pongTimeoutMs) conn.terminate(1006);
      } else if (now - conn.lastPingAt >= opts.pingIntervalMs) {
        conn.awaitingPong = true;
        conn.lastPingAt = now;
        conn.ping();
      }
    }
  }, tickMs);
  timer.unref();
  return timer;
}
