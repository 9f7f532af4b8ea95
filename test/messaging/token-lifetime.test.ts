import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, api, createOrg, createUser, startApp, type TestApp } from '../helpers/app.js';
import { connect } from './socket-client.js';

const TTL_SEC = 3;

/** An app whose tokens live `ttlSec`, an org, a user in it and its group 'general'. */
function appWithTokens(ttlSec: number | undefined) {
  const ctx = {} as { t: TestApp; orgId: string; username: string };
  beforeAll(async () => {
    ctx.t = await startApp(ttlSec === undefined ? {} : { config: { accessTokenTtlSec: ttlSec } });
    const { t } = ctx;
    ctx.orgId = (await createOrg(t)).id;
    ctx.username = (await createUser(t, ctx.orgId)).user.username;
    const g = await api(t, 'POST', `/api/v1/orgs/${ctx.orgId}/groups`, {
      token: t.operatorToken,
      body: { id: 'general', name: 'General' },
    });
    expect(g.status).toBe(201);
  });
  afterAll(() => ctx.t.close());
  const login = async () => {
    const r = await api(ctx.t, 'POST', '/api/v1/auth/login', {
      body: { org_id: ctx.orgId, username: ctx.username, password: PASSWORD },
    });
    expect(r.status).toBe(200);
    return r.body as { access_token: string; refresh_token: string };
  };
  return { ctx, login };
}

describe('group socket and the lifetime of its token', () => {
  const { ctx, login } = appWithTokens(TTL_SEC);

  it('closes the socket with 4001 when its access token expires, not before', async () => {
    const { t, orgId } = ctx;
    const { access_token } = await login();
    const s = await connect(t, orgId, 'general', access_token);
    const opened = Date.now();
    const closed = await s.closed;
    expect(closed.code).toBe(4001);
    // The token was issued just before the upgrade: the socket lived most of its TTL.
    expect(Date.now() - opened).toBeGreaterThan((TTL_SEC - 1.5) * 1000);
  });
});

// Tokens of the default lifetime: two logins (two password hashes) on a loaded machine could
// outlast a 3 s token, and the socket would be refused or closed for its age, not the logout.
describe('group socket and the logout of its session', () => {
  const { ctx, login } = appWithTokens(undefined);

  it('logout closes the sockets of that session with 4003, not those of another', async () => {
    const { t, orgId } = ctx;
    const one = await login();
    const two = await login();
    const a = await connect(t, orgId, 'general', one.access_token);
    const b = await connect(t, orgId, 'general', two.access_token);
    const out = await api(t, 'POST', '/api/v1/auth/logout', {
      body: { refresh_token: one.refresh_token },
    });
    expect(out.status).toBe(204);
    expect((await a.closed).code).toBe(4003);
    // The other session's socket still works: its own message comes back.
    b.send({ content: 'still here', client_msg_id: 'k1' });
    const echo = await b.next((f) => f.type === 'message');
    expect(echo).toMatchObject({ content: 'still here' });
    b.ws.terminate();
  });
});
