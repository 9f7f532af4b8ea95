import { STABLE_AFTER_MS, backoffDelay } from './emitter.js';
import { OrgHubError } from './errors.js';
import type { WebSocketCtor, WebSocketLike } from './socket.js';

/** Close codes of both sockets (README: the group socket's and the workspace socket's tables). */
const TOKEN_EXPIRED = 4001;
const SESSION_ENDED = 4003;
const PERMANENT_CLOSE = new Set([1008, 1009]);

/**
 * Opens a WebSocket to `path` on the server the options name now (a function base URL is read
 * at every attempt, so a reconnect can go elsewhere), with the query parameters given.
 */
export function dial(
  opts: { baseUrl: string | (() => string); WebSocket?: WebSocketCtor | undefined },
  path: string,
  params: Record<string, string>,
): WebSocketLike {
  const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (!Ctor) throw new Error('no WebSocket implementation: pass the WebSocket option');
  const u = new URL(path, typeof opts.baseUrl === 'function' ? opts.baseUrl() : opts.baseUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return new Ctor(u.toString());
}

/**
 * Gives a connection up at once, as if it had closed by itself: a dead link's close handshake
 * could take minutes, so its `onclose` runs now and nothing more is read from it.
 */
export function abandon(ws: WebSocketLike, code: number, reason: string): void {
  const onclose = ws.onclose;
  ws.onclose = null;
  ws.onmessage = null;
  ws.close(code, reason);
  onclose?.({ code, reason });
}

/** What an error event says (`ws` puts the refusal's HTTP status in it; browsers nothing). */
export function failureText(ev: unknown): string {
  return String((ev as { message?: string }).message ?? (ev as { error?: unknown }).error ?? '');
}

/** A token refresh that never reached the server (or met a 5xx): retried, not final. */
export function unreachable(err: unknown): boolean {
  return err instanceof TypeError || (err instanceof OrgHubError && err.status >= 500);
}

export interface CloseVerdict {
  /** Refresh the access token before the next attempt. */
  refresh: boolean;
  /** Stop for good, and why; null to reconnect. */
  final: 'session_ended' | 'refused' | null;
}

/**
 * What a closed connection means. Browsers hide the HTTP status of a refused upgrade, so any
 * failure before open may be an expired token: refresh when the refusal says 401, or after
 * two blind failures; 4001 (expired) refreshes too. 4003 (session ended), 1008/1009 and a
 * 403/404 refusal are final.
 */
export function closeVerdict(
  code: number,
  failure: string,
  opened: boolean,
  /** Closes since the last open, before this one. */
  closesBefore: number,
): CloseVerdict {
  // `ws` says "Unexpected server response: 403"; the status must not be read out of a port
  // number in "connect ECONNREFUSED 127.0.0.1:40312".
  const status = /server response: (\d{3})\b/.exec(failure)?.[1];
  const refresh = code === TOKEN_EXPIRED || (!opened && (status === '401' || closesBefore === 1));
  if (code === SESSION_ENDED) return { refresh, final: 'session_ended' };
  if (PERMANENT_CLOSE.has(code) || status === '403' || status === '404')
    return { refresh, final: 'refused' };
  return { refresh, final: null };
}

/**
 * The reconnect bookkeeping both sockets share: the backoff step (started over only by a
 * connection that stayed open STABLE_AFTER_MS, so a server that accepts and drops at once is
 * backed off from), and the closes since the last open (for the verdict's blind failures).
 */
export class Reconnects {
  private attempt = 0;
  private closesSinceOpen = 0;
  private openedAt = 0;

  constructor(
    private readonly baseMs = 250,
    private readonly capMs = 15_000,
  ) {}

  /** A fresh `connect()`. */
  reset(): void {
    this.attempt = 0;
    this.closesSinceOpen = 0;
  }

  opened(): void {
    this.closesSinceOpen = 0;
    this.openedAt = Date.now();
  }

  /** What a close means, and the delay before the next attempt (null when it is final). */
  closed(
    code: number,
    failure: string,
    opened: boolean,
  ): CloseVerdict & { retryInMs: number | null } {
    const verdict = closeVerdict(code, failure, opened, this.closesSinceOpen++);
    if (opened && Date.now() - this.openedAt >= STABLE_AFTER_MS) this.attempt = 0;
    return { ...verdict, retryInMs: verdict.final ? null : this.nextDelay() };
  }

  /** The delay before the next attempt (full jitter under an exponential cap). */
  nextDelay(): number {
    return backoffDelay(this.attempt++, this.baseMs, this.capMs);
  }
}
