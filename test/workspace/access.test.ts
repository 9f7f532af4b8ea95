import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenService,
  hashRefreshToken,
  type TokenService,
} from '../../src/modules/auth/tokens.js';
import { findRefreshToken } from '../../src/modules/auth/refresh-tokens.repo.js';
import {
  PASSWORD,
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect } from '../messaging/socket-client.js';
import { openWorkspace, type WorkspaceSocket } from './ws-client.js';

const TTL_SEC = 4;

describe('token lifecycle and access changes on open workspace sockets', () => {
  let t: TestApp;
  let orgId: string;
  let long: TokenService;
  let admin: Fixture;
  const open: WorkspaceSocket[] = [];
  const ws = async (token: string) => {
    const s = await openWorkspace(t, token);
    open.push(s);
    return s;
  };
  /** A user with a token that outlives the test (the app's own tokens live TTL_SEC). */
  const user = async (role: 'admin' | 'member' = 'member') => {
    const f = await createUser(t, orgId, { role });
    return { ...f, token: (await long.issueAccess(f.user)).token };
  };
  const login = async (username: string) => {
    const r = await api(t, 'POST', '/api/v1/auth/login', {
      body: { org_id: orgId, username, password: PASSWORD },
    });
    expect(r.status).toBe(200);
    const refresh = r.body.refresh_token as string;
    const row = await findRefreshToken(t.app.database.db, hashRefreshToken(refresh));
    // A long-lived access token of that same session (the app's expire in TTL_SEC).
    const access = await long.issueAccess({
      ...row!,
      id: row!.userId,
      role: 'member',
      sessionId: row!.familyId,
    });
    return { refresh, access: access.token, appToken: r.body.access_token as string };
  };

  beforeAll(async () => {
    t = await startApp({ config: { accessTokenTtlSec: TTL_SEC } });
    long = createTokenService({
      jwtSecret: t.app.secrets.jwtSecret,
      adminToken: t.app.secrets.adminToken,
      accessTtlSec: 600,
    });
    orgId = (await createOrg(t)).id;
    admin = await user('admin');
    for (const [id, isPrivate] of [
      ['open', false],
      ['vault', true],
    ] as const) {
      const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: admin.token,
        body: { id, name: id, private: isPrivate },
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('warns before expiry and closes with 4001 when not renewed', async () => {
    const f = await createUser(t, orgId);
    const s = await ws(f.token);
    const warn = await s.next((x) => x.type === 'token.expiring', 0, TTL_SEC * 1000 + 2000);
    const expiresAt = Date.parse(String(warn['expires_at']));
    expect(expiresAt).toBeGreaterThan(Date.now() - 1000);
    const { code } = await s.closed;
    expect(code).toBe(4001);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 50);
  });

  it('lives on past the old expiry after an auth frame with a fresh token', async () => {
    const f = await createUser(t, orgId);
    const other = await user();
    const s = await ws(f.token);
    await s.next((x) => x.type === 'token.expiring', 0, TTL_SEC * 1000 + 2000);
    expect(await s.request({ type: 'auth', token: other.token })).toMatchObject({
      code: 'forbidden',
    });
    expect(await s.request({ type: 'auth', token: 'garbage' })).toMatchObject({
      code: 'unauthorized',
    });
    const fresh = (await long.issueAccess(f.user)).token;
    const ok = await s.request({ type: 'auth', token: fresh });
    expect(ok.type).toBe('authenticated');
    const oldExpiry = Date.now() + TTL_SEC * 1000;
    // Round trips until the old token's expiry has passed: the socket is still open. Paced
    // as a client's heartbeat is: back-to-back pings on a quiet machine pass 10,000 a second,
    // the ping allowance (frame-limiter.ts), and would be answered rate_limited.
    while (Date.now() < oldExpiry + 500) {
      expect(await s.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(s.ws.readyState).toBe(s.ws.OPEN);
  });

  it('logout closes the sockets of that session within 1 s, not the other sessions', async () => {
    const f = await user();
    const one = await login(f.user.username);
    const two = await login(f.user.username);
    const a = await ws(one.access);
    const b = await ws(two.access);
    const started = Date.now();
    const r = await api(t, 'POST', '/api/v1/auth/logout', { body: { refresh_token: one.refresh } });
    expect(r.status).toBe(204);
    expect((await a.closed).code).toBe(4003);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await b.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('deleting a user closes their sockets (workspace and group) within 1 s', async () => {
    const f = await user();
    const s = await ws(f.token);
    const g = await connect(t, orgId, 'open', f.token);
    const started = Date.now();
    const r = await api(t, 'DELETE', `/api/v1/users/${f.user.id}`, { token: admin.token });
    expect(r.status).toBe(204);
    expect((await s.closed).code).toBe(4003);
    expect((await g.closed).code).toBe(4003);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('removal from a private group ends that subscription within 1 s', async () => {
    const f = await user();
    const add = await api(t, 'PUT', `/api/v1/orgs/${orgId}/groups/vault/members/${f.user.id}`, {
      token: admin.token,
    });
    expect(add.status).toBe(204);
    const s = await ws(f.token);
    await s.request({ type: 'subscribe', group_id: 'vault' });
    await s.request({ type: 'subscribe', group_id: 'open' });
    const started = Date.now();
    const del = await api(t, 'DELETE', `/api/v1/orgs/${orgId}/groups/vault/members/${f.user.id}`, {
      token: admin.token,
    });
    expect(del.status).toBe(204);
    const ended = await s.next((x) => x.type === 'unsubscribed' && x['group_id'] === 'vault');
    expect(ended).toMatchObject({ reason: 'removed' });
    expect(Date.now() - started).toBeLessThan(1000);
    // Nothing more of it arrives; the other subscription and the socket carry on.
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups/vault/broadcast`, {
      token: admin.token,
      body: { content: 'secret' },
    });
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups/open/broadcast`, {
      token: admin.token,
      body: { content: 'public' },
    });
    await s.next((x) => x.type === 'message' && x['content'] === 'public');
    expect(s.messages().some((m) => m.content === 'secret')).toBe(false);
    expect(await s.request({ type: 'publish', group_id: 'vault', content: 'x' })).toMatchObject({
      code: 'not_found',
    });
  });

  it('a demoted admin loses the private groups they were only in as admin', async () => {
    const boss = await user('admin');
    const s = await ws(boss.token);
    expect(await s.request({ type: 'subscribe', group_id: 'vault' })).toMatchObject({
      type: 'subscribed',
    });
    await s.request({ type: 'subscribe', group_id: 'open' });
    const started = Date.now();
    const r = await api(t, 'PUT', `/api/v1/users/${boss.user.id}`, {
      token: admin.token,
      body: { role: 'member' },
    });
    expect(r.status).toBe(200);
    await s.next((x) => x.type === 'unsubscribed' && x['group_id'] === 'vault');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await s.request({ type: 'history', group_id: 'vault' })).toMatchObject({
      code: 'not_found',
    });
    expect(await s.request({ type: 'history', group_id: 'open' })).toMatchObject({
      type: 'history',
    });
  });
});
