import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  OrgHubClient,
  WorkspaceSocket,
  type TokenSource,
  type WebSocketCtor,
  type WorkspaceEvents,
} from '../src/index.js';
import { PASSWORD, createOrg, createUser, startApp, type TestApp } from '../../test/helpers/app.js';
import { until } from '../../test/helpers/wait.js';
import { FAST, next, record } from './workspace-helpers.js';

/** Access tokens live 4 s here: `token.expiring` comes after 2 s, 4001 at 4 s if not renewed. */
const TTL_SEC = 4;

let t: TestApp;
let orgId: string;
const open: WorkspaceSocket[] = [];

/** `ws`'s WebSocket, remembering every connection so a test can cut one like a network drop. */
const connections: WebSocket[] = [];
class TrackedWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    connections.push(this);
  }
}

async function client(username: string) {
  // A skew below the token life, so the session does not refresh on every use.
  const c = new OrgHubClient({ baseUrl: t.url, refreshSkewMs: 500 });
  await c.login({ org_id: orgId, username, password: PASSWORD });
  return c;
}

function socket(c: OrgHubClient) {
  const s = c.workspace({ ...FAST, WebSocket: TrackedWebSocket as unknown as WebSocketCtor });
  open.push(s);
  return s;
}

beforeAll(async () => {
  t = await startApp({ config: { accessTokenTtlSec: TTL_SEC } });
  orgId = (await createOrg(t)).id;
  const a = await createUser(t, orgId, { username: 'alice' });
  await createUser(t, orgId, { username: 'bob' });
  const admin = new OrgHubClient({ baseUrl: t.url, token: a.token });
  await admin.createGroup(orgId, { id: 'general', name: 'General' });
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
afterAll(() => t?.close());

describe('WorkspaceSocket and the token lifecycle', () => {
  it('answers token.expiring with a refreshed token in-band and outlives the first token', async () => {
    const alice = await client('alice');
    const s = socket(alice);
    const disconnects = record(s, 'disconnected');
    const expiring = record(s, 'token.expiring');
    s.connect();
    await s.subscribe('general');
    const first = alice.session.current!;
    // The third warning comes about 6 s in: past the first token's expiry at 4 s, which
    // would have closed the socket with 4001 had the `auth` frame not renewed it.
    await until(() => expiring.length >= 3, 15_000, 'three token.expiring');
    expect(Date.parse(expiring[2]!.expires_at)).toBeGreaterThan(first.expires_at);
    expect(disconnects).toEqual([]);
    expect(connections.filter((c) => c.readyState === c.OPEN)).toHaveLength(1);
    expect(alice.session.current!.refresh_token).not.toBe(first.refresh_token);
    const m = await s.publish('general', 'still here');
    expect(m.seq).toBeGreaterThan(0);
  });

  it('closed with 4001 when the in-band renewal failed, it refreshes and resumes', async () => {
    const alice = await client('alice');
    // The session's tokens, except that the first refresh (the answer to token.expiring)
    // cannot reach the server.
    let failNext = true;
    const tokens: TokenSource = {
      accessToken: () => alice.session.accessToken(),
      refresh: () => {
        if (!failNext) return alice.session.refresh();
        failNext = false;
        return Promise.reject(new TypeError('fetch failed'));
      },
    };
    const s = new WorkspaceSocket({ ...FAST, baseUrl: t.url, tokens });
    open.push(s);
    const seen = record(s, 'message');
    s.connect();
    await s.subscribe('general');
    const expired = await next(s, 'disconnected');
    expect(expired).toMatchObject({ code: 4001, willReconnect: true });
    const recovered = await next(s, 'recovered');
    expect(recovered).toEqual({ group_id: 'general', recovered: true });
    const m = await s.publish('general', 'after 4001');
    await until(() => seen.some((x) => x.id === m.id));
    expect(failNext).toBe(false);
  });

  it('refreshes the token after a 401 refusal and reconnects', async () => {
    const bob = await client('bob');
    const s = socket(bob);
    s.connect();
    await s.subscribe('general');
    const before = bob.session.current!;
    // The server will refuse this token; the session does not know it yet.
    bob.session.set({ ...before, access_token: 'not-a-token', expires_at: Date.now() + 60_000 });
    const events: (WorkspaceEvents['disconnected'] | WorkspaceEvents['connected'])[] = [];
    s.on('disconnected', (d) => events.push(d));
    const back = next(s, 'connected');
    s.on('connected', (c) => events.push(c));
    connections.at(-1)!.terminate();
    expect(await back).toEqual({ reconnect: true });
    // The drop, then the refused upgrade (1006 after a 401), then open with a fresh token.
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)).toEqual({ reconnect: true });
    expect(bob.session.current!.access_token).not.toBe('not-a-token');
    expect(bob.session.current!.refresh_token).not.toBe(before.refresh_token);
    expect(s.state).toBe('open');
  });

  it('stops for good on 4003 when its session logs out, and says so', async () => {
    const alice = await client('alice');
    const s = socket(alice);
    const states = record(s, 'state');
    const errors = record(s, 'error');
    s.connect();
    await s.subscribe('general');
    const disconnected = next(s, 'disconnected');
    await alice.logout();
    expect(await disconnected).toMatchObject({ code: 4003, willReconnect: false, retryInMs: null });
    expect(s.state).toBe('closed');
    expect(errors).toContainEqual(expect.objectContaining({ code: 'session_ended' }));
    expect(states.at(-1)).toBe('closed');
    expect(states).not.toContain('reconnecting');
    await expect(s.publish('general', 'after logout')).rejects.toThrow('socket closed');
  });
});
