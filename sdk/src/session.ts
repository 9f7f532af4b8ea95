import { OrgHubError } from './errors.js';
import type { TokenResponse } from './types.js';

/** What the SDK needs to authenticate: a fresh access token, refreshed when asked. */
export interface TokenSource {
  /** A token valid for at least a few more seconds (refreshes first when it is about to expire). */
  accessToken(): Promise<string>;
  /** Forces a refresh (after a 401); resolves to the new token, or rejects when the session is over. */
  refresh(): Promise<string>;
}

export interface StoredSession {
  access_token: string;
  refresh_token: string | null;
  /** Epoch milliseconds when the access token expires. */
  expires_at: number;
}

/**
 * Holds one user's tokens. Guarantees: at most one refresh is in flight at a time (refresh
 * tokens rotate, so two parallel refreshes would revoke the session); a token within
 * `skewMs` of its expiry is refreshed before use.
 */
export class Session implements TokenSource {
  private inflight: Promise<string> | undefined;
  private listeners = new Set<(s: StoredSession | null) => void>();

  constructor(
    private state: StoredSession | null,
    private readonly doRefresh: (refreshToken: string) => Promise<TokenResponse>,
    private readonly skewMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  get current(): StoredSession | null {
    return this.state;
  }

  set(t: TokenResponse | StoredSession | null): void {
    if (t && 'expires_in' in t) {
      this.state = {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at: this.now() + t.expires_in * 1000,
      };
    } else {
      this.state = t;
    }
    for (const l of this.listeners) l(this.state);
  }

  /** Called on every change (persist it, e.g. in sessionStorage). */
  onChange(l: (s: StoredSession | null) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async accessToken(): Promise<string> {
    const s = this.state;
    if (!s) throw new Error('not signed in');
    if (s.refresh_token && s.expires_at - this.now() < this.skewMs) return this.refresh();
    return s.access_token;
  }

  refresh(): Promise<string> {
    this.inflight ??= (async () => {
      try {
        const rt = this.state?.refresh_token;
        if (!rt) throw new Error('session expired: no refresh token');
        const t = await this.doRefresh(rt);
        this.set(t);
        return t.access_token;
      } catch (err) {
        // A refresh that never reached the server (fetch throws a TypeError) or met a 5xx
        // leaves the session as it was, to retry; only a refusal ends it.
        const unreachable =
          err instanceof TypeError || (err instanceof OrgHubError && err.status >= 500);
        if (!unreachable) this.set(null);
        throw err;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
