import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  PASSWORD,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { expectError, login, randomIp, refresh, type TokenPair } from './session.js';

// scrypt N=2^17 costs ~0.5 s a hash, several times that on a busy machine.
describe('auth routes', { timeout: 120_000 }, () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  beforeAll(async () => {
    t = await startApp({ config: { trustProxy: true } });
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId, { role: 'admin' });
  });
  afterAll(() => t.close());

  it('logs in by username and by email (case-insensitively) with the contract shape', async () => {
    for (const by of [
      { username: alice.user.username },
      { email: alice.user.email.toUpperCase() },
    ]) {
      const res = await login(t, { org_id: orgId, ...by });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        user: {
          id: alice.user.id,
          username: alice.user.username,
          email: alice.user.email,
          full_name: alice.user.fullName,
          org_id: orgId,
          role: 'admin',
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          updated_at: expect.any(String),
        },
      });
      const me = await api(t, 'GET', '/api/v1/auth/me', { token: res.body.access_token });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: alice.user.id, org_id: orgId });
      expect(JSON.stringify(me.body)).not.toMatch(/password/i);
    }
  });

  it('answers unknown org, unknown user and wrong password with the same 401', async () => {
    const bodies = await Promise.all([
      login(t, { org_id: 'no-such-org', username: alice.user.username }),
      login(t, { org_id: orgId, username: 'nobody-here' }),
      login(t, { org_id: orgId, username: alice.user.username, password: 'wrong-password' }),
      login(t, { org_id: orgId, email: 'nobody@example.test' }),
    ]);
    for (const res of bodies) expectError(res, 401, 'unauthorized');
    expect(new Set(bodies.map((r) => JSON.stringify(r.body))).size).toBe(1);
  });

  it('refuses a login without username or email, naming the fields', async () => {
    const res = await login(t, { org_id: orgId });
    expectError(res, 400, 'bad_request', 'body.username');
  });

  it('rotates refresh tokens: the old one stops working, the new one works', async () => {
    const first = (await login(t, { org_id: orgId, username: alice.user.username })).body;
    const second = await refresh(t, first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ token_type: 'Bearer', user: { id: alice.user.id } });
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    const me = await api(t, 'GET', '/api/v1/auth/me', { token: second.body.access_token });
    expect(me.status).toBe(200);
    // The rotated token is dead; presenting it is a reuse (tested below).
    expectError(await refresh(t, first.refresh_token), 401, 'unauthorized');
  });

  it('a reused refresh token revokes every session of that user, and only that user', async () => {
    const bob = await createUser(t, orgId);
    const a1 = (await login(t, { org_id: orgId, username: bob.user.username })).body;
    const a2 = (await login(t, { org_id: orgId, username: bob.user.username })).body;
    const other = (await login(t, { org_id: orgId, username: alice.user.username })).body;
    const rotated = (await refresh(t, a1.refresh_token)).body;
    expect(rotated.refresh_token).toEqual(expect.any(String));

    const reuse = await refresh(t, a1.refresh_token);
    expectError(reuse, 401, 'unauthorized', 'reuse');
    // Both of Bob's sessions are gone: the rotated child and the separate login.
    expectError(await refresh(t, rotated.refresh_token), 401, 'unauthorized');
    expectError(await refresh(t, a2.refresh_token), 401, 'unauthorized');
    // Alice is untouched.
    expect((await refresh(t, other.refresh_token)).status).toBe(200);
  });

  it('concurrent refreshes of one token: exactly one wins', async () => {
    const s = (await login(t, { org_id: orgId, username: alice.user.username })).body;
    const results = await Promise.all([1, 2, 3].map(() => refresh(t, s.refresh_token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 401, 'unauthorized');
  });

  it('refuses an unknown or malformed refresh token with 401 / 400', async () => {
    expectError(await refresh(t, 'ohrt_not-a-real-token'), 401, 'unauthorized');
    const empty = await api(t, 'POST', '/api/v1/auth/refresh', { body: {} });
    expectError(empty, 400, 'bad_request', 'body.refresh_token');
  });

  it('logout ends the session: 204, then the refresh token is refused', async () => {
    const s = (await login(t, { org_id: orgId, username: alice.user.username })).body;
    const out = await api(t, 'POST', '/api/v1/auth/logout', {
      body: { refresh_token: s.refresh_token },
    });
    expect(out.status).toBe(204);
    expect(out.body).toBe('');
    expectError(await refresh(t, s.refresh_token), 401, 'unauthorized');
    // Logging out twice (or with an unknown token) is harmless.
    const again = await api(t, 'POST', '/api/v1/auth/logout', {
      body: { refresh_token: s.refresh_token },
    });
    expect(again.status).toBe(204);
  });

  it('/auth/me: the user for a user, {operator: true} for the operator, 401 without a token', async () => {
    const me = await api(t, 'GET', '/api/v1/auth/me', { token: alice.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: alice.user.id, username: alice.user.username });
    const op = await api(t, 'GET', '/api/v1/auth/me', { token: t.operatorToken });
    expect(op).toMatchObject({ status: 200, body: { operator: true } });
    expectError(await api(t, 'GET', '/api/v1/auth/me'), 401, 'unauthorized');
  });

  it('signup creates an org and its first admin (201), and 409 on an existing org id', async () => {
    const id = `signup-${randomUUID().slice(0, 8)}`;
    const body = {
      org_id: id,
      org_name: 'Signed Up',
      username: 'founder',
      email: 'founder@example.test',
      password: 'long-enough-pass',
      full_name: 'Fay Founder',
    };
    const res = await api<TokenPair & { org: unknown }>(t, 'POST', '/api/v1/auth/signup', {
      body,
      headers: { 'x-forwarded-for': randomIp() },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      org: { id, name: 'Signed Up', created_at: expect.any(String) },
      user: expect.objectContaining({ username: 'founder', org_id: id, role: 'admin' }),
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
    });
    const groups = await api(t, 'GET', `/api/v1/orgs/${id}/groups`, {
      token: res.body.access_token,
    });
    expect(groups).toMatchObject({ status: 200, body: [] });
    const relog = await login(t, { org_id: id, username: 'founder', password: body.password });
    expect(relog.status).toBe(200);

    const again = await api(t, 'POST', '/api/v1/auth/signup', {
      body: { ...body, org_id: orgId },
      headers: { 'x-forwarded-for': randomIp() },
    });
    expectError(again, 409, 'conflict');
  });

  it('passwords are at least 8 characters (signup, user creation, password change)', async () => {
    const signup = await api(t, 'POST', '/api/v1/auth/signup', {
      body: {
        org_id: `short-${randomUUID().slice(0, 8)}`,
        org_name: 'x',
        username: 'x',
        email: 'x@example.test',
        password: 'seven77',
      },
    });
    expectError(signup, 400, 'bad_request', 'body.password');
    const create = await api(t, 'POST', '/api/v1/users', {
      token: alice.token,
      body: { org_id: orgId, username: 'shorty', email: 's@example.test', password: '1234567' },
    });
    expectError(create, 400, 'bad_request', 'body.password');
    const change = await api(t, 'PUT', `/api/v1/users/${alice.user.id}`, {
      token: alice.token,
      body: { password: 'short' },
    });
    expectError(change, 400, 'bad_request', 'body.password');
  });

  it('limits logins per (account, source) and per source with 429 and Retry-After; never the owner elsewhere', async () => {
    const victim = await createUser(t, orgId);
    const ip = randomIp();
    const as = (u: Fixture, password = PASSWORD, from = ip) =>
      login(t, { org_id: orgId, username: u.user.username, password }, from);
    // Half by username, half by email: both name the same account.
    const tries = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2
          ? as(victim, `wrong-${i}-pass`)
          : login(t, { org_id: orgId, email: victim.user.email, password: `wrong-${i}` }, ip),
      ),
    );
    for (const r of tries) expectError(r, 401, 'unauthorized');
    // That source is blocked on that account, even with the right password...
    const blocked = await as(victim, PASSWORD);
    expectError(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(60);
    // ...but the owner, from anywhere else, signs in (slowed down, never refused).
    expect((await as(victim, PASSWORD, randomIp())).status).toBe(200);
    // Another account from the same address is not affected (12th attempt from it).
    expect((await as(alice)).status).toBe(200);

    // Per source: 30 attempts a minute; refused ones count, so 18 more fill the budget.
    for (let i = 0; i < 18; i++) expect((await as(victim)).status).toBe(429);
    const overIp = await as(alice);
    expectError(overIp, 429, 'rate_limited');
    expect(Number(overIp.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(overIp.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // The same account from another address passes.
    expect((await as(alice, PASSWORD, randomIp())).status).toBe(200);
  });
});

describe('signup switched off', () => {
  it('SIGNUP=closed refuses self-service signup with 403 forbidden', async () => {
    const t = await startApp({ config: { signup: 'closed' } });
    try {
      const res = await api(t, 'POST', '/api/v1/auth/signup', {
        body: {
          org_id: 'closed-org',
          org_name: 'Closed',
          username: 'founder',
          email: 'founder@example.test',
          password: PASSWORD,
        },
      });
      expectError(res, 403, 'forbidden', 'signup');
      const orgs = await api<unknown[]>(t, 'GET', '/api/v1/orgs', { token: t.operatorToken });
      expect(orgs.body).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
