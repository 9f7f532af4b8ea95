import { OrgHubError } from './errors.js';
import type { TokenSource } from './session.js';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Skip the Authorization header (login, refresh, signup). */
  anonymous?: boolean;
}

export interface HttpResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * JSON over fetch. Guarantees: a 401 on an authenticated call triggers one token refresh and
 * one retry, never more (so a revoked session fails fast instead of looping).
 */
export class Http {
  constructor(
    /** A getter, so a client can be pointed at another server without losing its session. */
    private readonly baseUrl: () => string,
    private readonly tokens: TokenSource | undefined,
    private readonly fetchImpl: typeof fetch = (...a) => globalThis.fetch(...a),
  ) {}

  url(path: string, query?: Query): string {
    const u = new URL(path, this.baseUrl());
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  async request<T>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<HttpResponse<T>> {
    const auth = !opts.anonymous && this.tokens;
    let token = auth ? await auth.accessToken() : undefined;
    let res = await this.send(method, path, opts, token);
    if (res.status === 401 && auth) {
      token = await auth.refresh();
      res = await this.send(method, path, opts, token);
    }
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').includes('json');
    const body: unknown = isJson && text ? JSON.parse(text) : text || null;
    if (!res.ok) {
      const b = (body ?? {}) as { error?: string; code?: string };
      const ra = res.headers.get('retry-after');
      throw new OrgHubError(
        res.status,
        b.code ?? 'http_' + res.status,
        b.error ?? res.statusText,
        ra ? Number(ra) : undefined,
      );
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }

  private send(method: string, path: string, opts: RequestOptions, token: string | undefined) {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (token) headers['authorization'] = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    return this.fetchImpl(this.url(path, opts.query), { method, headers, body });
  }
}
