import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, api, createOrg, createUser, startApp, type TestApp } from '../helpers/app.js';
import { connect } from './socket-client.js';

const TTL_SEC = 3;

describe('group socket and the lifetime of its token', () => {
  let t: TestApp;
  let orgId: string;
  let username: string;

  beforeAll(async () => {
    t = await startApp({ config: { accessTokenTtlSec: TTL_SEC } });
    orgId = (await createOrg(t)).id;
    username = (await createUser(t, orgId)).user.username;
    const g = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: t.operatorToken,
      body: { id: 'general', name: 'General' },
    });
    expect(g.status).toBe(201);
  });
  afterAll(() => t.close());

  const login = async () => {
    const r = await api(t, 'POST', '/api/v1/auth/login', {
      body: { org_id: orgId, username, password: PASSWORD },
    });
    expect(r.status).toBe(200);
    return r.body as { access_token: string; refresh_token: string };
  };

  it('closes the socket with 4001 when its access token expires, not before', async () => {
    const { access_token } = await login();
    const s = await connect(t, orgId, 'general', access_token);
    const opened = Date.now();
    const closed = await s.closed;
    expect(closed.code).toBe(4001);
    // The token was issued just before the upgrade: the socket lived most of its TTL.
    expect(Date.now() - opened).toBeGreaterThan((TTL_SEC - 1.5) * 1000);
  });

  it('logout closes the sockets of that session with 4003, not those of another', async () => {
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
