import type { WebSocket } from 'ws';

/** What the heartbeat needs of a socket: its ws, and the state of its last ping. */
export interface Heartbeating {
  readonly ws: WebSocket;
  lastPingAt: number;
  awaitingPong: boolean;
  closeCode: number | undefined;
}

/**
 * One timer for every socket of a gateway: pings each socket every `pingIntervalMs` and cuts
 * one that has not answered within `pongTimeoutMs` of its ping. Returns the timer (unref'd)
 * so the gateway can clear it on close.
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
        if (now - conn.lastPingAt >= opts.pongTimeoutMs) {
          conn.closeCode ??= 1006;
          conn.ws.terminate();
        }
      } else if (now - conn.lastPingAt >= opts.pingIntervalMs) {
        conn.awaitingPong = true;
        conn.lastPingAt = now;
        conn.ws.ping();
      }
    }
  }, tickMs);
  timer.unref();
  return timer;
}
