import { OrgHubError } from './errors.js';

/** Close codes of both sockets (README: the group socket's and the workspace socket's tables). */
const TOKEN_EXPIRED = 4001;
const SESSION_ENDED = 4003;
const PERMANENT_CLOSE = new Set([1008, 1009]);

/** The `/ws` URL on the server at `base`, with the access token. */
export function workspaceUrl(base: string, token: string): string {
  const u = new URL('/ws', base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('access_token', token);
  return u.toString();
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
