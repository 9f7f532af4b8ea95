import type { WebSocket } from 'ws';

/** A socket as shutdown sees it: its `ws` (to await or force its close) and a polite close. */
export interface Closable {
  readonly ws: WebSocket;
}

export interface DrainOptions<C extends Closable> {
  /** Spread the closes over this long (`SHUTDOWN_DRAIN`); 0 closes all at once. */
  windowMs: number;
  /** Sends the close frame (1001) to one socket. */
  close(conn: C): void;
  /** A socket that has not finished its close this long after its close frame is terminated. */
  waitMs?: number;
}

/** Closes of one batch are this far apart at least, so a small node still drains in steps. */
const BATCH_EVERY_MS = 100;
/** The drain never outlasts this, whatever is configured: the whole shutdown has 30 s. */
const MAX_WINDOW_MS = 20_000;

/**
 * Closes every socket with 1001 in equal batches spread over the window, so that the clients
 * of a node that stops (a rolling restart) reconnect to the others a slice at a time instead of
 * all in the same second. Resolves when every socket has closed.
 */
export async function drainSockets<C extends Closable>(
  conns: readonly C[],
  opts: DrainOptions<C>,
): Promise<void> {
  const windowMs = Math.min(Math.max(0, opts.windowMs), MAX_WINDOW_MS);
  const waitMs = opts.waitMs ?? 3000;
  const batches = Math.max(1, Math.min(conns.length, Math.floor(windowMs / BATCH_EVERY_MS)));
  const perBatch = Math.ceil(conns.length / batches);
  const gap = batches > 1 ? windowMs / batches : 0;
  const closed: Array<Promise<void>> = [];
  for (let b = 0; b * perBatch < conns.length; b++) {
    if (b > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    for (const conn of conns.slice(b * perBatch, (b + 1) * perBatch)) {
      closed.push(closeOne(conn, opts.close, waitMs));
    }
  }
  await Promise.all(closed);
}

function closeOne<C extends Closable>(conn: C, close: (c: C) => void, waitMs: number) {
  return new Promise<void>((resolve) => {
    const ws = conn.ws;
    if (ws.readyState === ws.CLOSED) return resolve();
    const t = setTimeout(() => {
      ws.terminate();
      resolve();
    }, waitMs);
    ws.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    close(conn);
  });
}
