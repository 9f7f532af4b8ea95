import { WebSocket, type ClientOptions } from 'ws';
import type { TestApp } from '../helpers/app.js';

export interface Frame {
  type: string;
  [k: string]: unknown;
}
export interface MessageFrame extends Frame {
  type: 'message';
  id: string;
  seq: number;
  user_id: string | null;
  username: string;
  content: string;
  client_msg_id: string | null;
  client_id: string | null;
}

/**
 * A test client over a real socket: every frame is recorded, and tests await the frames (or
 * the close) they expect rather than sleeping.
 */
export class TestSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      this.wake();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      }),
    );
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `cond` holds over the frames received so far (or throws after `ms`). */
  async until(cond: (frames: Frame[]) => boolean, ms = 10_000, what = 'frames'): Promise<void> {
    const end = Date.now() + ms;
    while (!cond(this.frames)) {
      const left = end - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${what}; got ${JSON.stringify(this.frames).slice(0, 2000)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  messages(): MessageFrame[] {
    return this.frames.filter((f): f is MessageFrame => f.type === 'message');
  }

  /** Waits for the first frame matching `pred` that arrives from now on (or already did, after `from`). */
  async next(pred: (f: Frame) => boolean, from = 0, ms = 10_000): Promise<Frame> {
    let found: Frame | undefined;
    await this.until(
      (fs) => (found = fs.slice(from).find(pred)) !== undefined,
      ms,
      'a matching frame',
    );
    return found!;
  }

  send(value: unknown) {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

export function socketUrl(
  t: TestApp,
  orgId: string,
  groupId: string,
  query: Record<string, string | number> = {},
): string {
  const u = new URL(`${t.wsUrl}/ws/orgs/${orgId}/groups/${groupId}`);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
  return u.toString();
}

/**
 * Opens a socket at `url` and wraps it; resolves once open, or rejects with the HTTP status,
 * body and headers of the refusal.
 */
export function openSocket<S extends TestSocket>(
  url: string,
  token: string | undefined,
  wrap: (ws: WebSocket) => S,
  opts: { headers?: Record<string, string> | undefined; ws?: ClientOptions | undefined } = {},
): Promise<S> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      ...opts.ws,
      headers: { ...(token && { authorization: `Bearer ${token}` }), ...opts.headers },
    });
    const s = wrap(ws);
    ws.once('open', () => resolve(s));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        reject(
          Object.assign(new Error(`refused ${res.statusCode}`), {
            status: res.statusCode,
            body: JSON.parse(body || '{}') as unknown,
            headers: res.headers,
          }),
        ),
      );
    });
    ws.once('error', (err) => reject(err));
  });
}

/** Opens a group socket (see `openSocket`). */
export function connect(
  t: TestApp,
  orgId: string,
  groupId: string,
  token: string | undefined,
  opts: {
    query?: Record<string, string | number>;
    headers?: Record<string, string>;
    ws?: ClientOptions;
  } = {},
): Promise<TestSocket> {
  return openSocket(socketUrl(t, orgId, groupId, opts.query), token, (ws) => new TestSocket(ws), {
    headers: opts.headers,
    ws: opts.ws,
  });
}

/** The refusal of an upgrade that must not succeed. */
export async function refusal(p: Promise<TestSocket>): Promise<{ status: number; body: unknown }> {
  try {
    const s = await p;
    await s.close();
  } catch (err) {
    return err as { status: number; body: unknown };
  }
  throw new Error('the upgrade was accepted');
}
