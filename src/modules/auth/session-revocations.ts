import { randomUUID } from 'node:crypto';
import { channels } from '../../realtime/channels.js';
import type { ServerEvent } from '../../realtime/events.js';
import type { Frame, Hub } from '../../realtime/hub.js';

/**
 * Which sessions (refresh-token families) have ended, known to every node, so that their
 * access tokens answer 401 on every route and upgrade without a database query per request.
 *
 * Guarantees:
 * - `isRevoked` is a memory lookup: no I/O, never throws.
 * - After `revoke` returns, this node refuses the sessions at once; every other node learns
 *   them over the broker (the `sessions` channel every node joins for its whole life), in
 *   practice within milliseconds.
 * - Each node, as it records them, hands the revocation's events (`access.revoked`) to its
 *   own sockets of that user (the user channel, locally), which close themselves. A socket
 *   joins its user channel and then asks `isRevoked`, so one that was being authorized while
 *   its session ended is closed either way: no window in which it misses both.
 * - A node that could not hear a revocation (it started later, Redis was down, a publish was
 *   lost) learns it from the database: `refresh_tokens.revoked_at` is loaded at start, after
 *   every broker reconnection, and every `reloadEveryMs` as a last resort.
 * - An entry is kept for the access-token lifetime (plus clock-skew margin) after the
 *   revocation: every access token of a session is older than its end, so none outlives it.
 */
export interface EndedSessions {
  orgId: string;
  userId: string;
  sessionIds: readonly string[];
  /** What the user's sockets on every node receive (they close the sessions' ones: 4003). */
  events: readonly ServerEvent[];
}

export interface SessionRevocations {
  isRevoked(sessionId: string): boolean;
  /** Ends the sessions here and on every node, and tells their sockets. */
  revoke(ended: EndedSessions): void;
  /** Loads the revocations stored in the last access-token lifetime. */
  load(): Promise<void>;
  close(): void;
}

export interface SessionRevocationOptions {
  hub: Hub;
  /** Registers a handler run after every broker reconnection (messages may be lost). */
  onResync(handler: () => void): void;
  /** Sessions revoked at or after `since`, with when. */
  revokedSince(since: Date): Promise<Array<{ sessionId: string; revokedAt: Date }>>;
  accessTtlSec: number;
  reloadEveryMs?: number;
  onError?(err: unknown): void;
}

/** Tokens are checked against clocks of other machines (nodes, the database). */
const SKEW_MARGIN_MS = 60_000;
const DEFAULT_RELOAD_MS = 30_000;
const EVENT = 'sessions.revoked';

export function createSessionRevocations(opts: SessionRevocationOptions): SessionRevocations {
  const keepMs = opts.accessTtlSec * 1000 + SKEW_MARGIN_MS;
  /** Session id → when its entry may be forgotten (ms). */
  const until = new Map<string, number>();
  const channel = channels.sessions();

  const remember = (id: string, expires: number) => {
    if ((until.get(id) ?? 0) < expires) until.set(id, expires);
  };
  const prune = () => {
    const now = Date.now();
    for (const [id, t] of until) if (t <= now) until.delete(id);
  };

  function apply(e: EndedSessions): void {
    const expires = Date.now() + keepMs;
    for (const id of e.sessionIds) remember(id, expires);
    const userChannel = channels.user(e.orgId, e.userId);
    for (const event of e.events)
      opts.hub.receive({ channel: userChannel, type: event.type, frame: JSON.stringify(event) });
  }

  const subscriber = {
    deliver(frame: Frame): number {
      try {
        const e = JSON.parse(frame.text) as { type?: unknown; ended?: EndedSessions };
        if (e.type === EVENT && e.ended && Array.isArray(e.ended.sessionIds)) apply(e.ended);
      } catch (err) {
        opts.onError?.(err);
      }
      return 0;
    },
  };
  opts.hub.join(channel, subscriber);

  let loading: Promise<void> | undefined;
  async function loadOnce(): Promise<void> {
    const rows = await opts.revokedSince(new Date(Date.now() - keepMs));
    for (const r of rows) remember(r.sessionId, r.revokedAt.getTime() + keepMs);
    prune();
  }
  // Concurrent triggers (a resync during the periodic reload) share one query.
  const load = () => {
    loading ??= loadOnce().finally(() => {
      loading = undefined;
    });
    return loading;
  };
  const reloadQuietly = () => void load().catch((err: unknown) => opts.onError?.(err));

  opts.onResync(reloadQuietly);
  const timer = setInterval(reloadQuietly, opts.reloadEveryMs ?? DEFAULT_RELOAD_MS);
  timer.unref();

  return {
    isRevoked(sessionId) {
      const t = until.get(sessionId);
      return t !== undefined && t > Date.now();
    },
    revoke(ended) {
      const message = { type: EVENT, id: randomUUID(), ended };
      // The hub hands it to this node's subscriber (above) synchronously, then to the broker.
      opts.hub.publish(channel, EVENT, JSON.stringify(message));
    },
    load,
    close() {
      clearInterval(timer);
      opts.hub.leave(channel, subscriber);
    },
  };
}
