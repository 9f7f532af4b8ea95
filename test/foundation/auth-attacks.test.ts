import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { expectError, login, refresh } from './session.js';

/** Forged tokens are built with `jose` directly, as an attacker with the library would. */
describe('auth attacks', { timeout: 120_000 }, () => {
  let t: TestApp;
  let key: Uint8Array;
  let orgA: string;
  let orgB: string;
  let alice: Fixture; // admin of A
  let bob: Fixture; // admin of B

  const claimsOf = (u: Fixture) => ({ org: u.user.orgId, role: u.user.role });
  const sign = (
    u: Fixture,
    opts: {
      alg?: string;
      iss?: string;
      aud?: string;
      exp?: number | string;
      secret?: Uint8Array;
    } = {},
  ) =>
    new SignJWT(claimsOf(u))
      .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
      .setSubject(u.user.id)
      .setIssuer(opts.iss ?? 'orghub')
      .setAudience(opts.aud ?? 'orghub-api')
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.secret ?? key);

  const me = (token: string) => api(t, 'GET', '/api/v1/auth/me', { token });

  beforeAll(async () => {
    t = await startApp({ config: { trustProxy: true } });
    key = new TextEncoder().encode(t.app.secrets.jwtSecret);
    orgA = (await createOrg(t)).id;
    orgB = (await createOrg(t)).id;
    alice = await createUser(t, orgA, { role: 'admin' });
    bob = await createUser(t, orgB, { role: 'admin' });
  });
  afterAll(() => t.close());

  it('a token signed the right way is accepted (the forgeries below differ in one thing)', async () => {
    expect((await me(await sign(alice))).status).toBe(200);
  });

  it('refuses alg: none', async () => {
    const token = new UnsecuredJWT(claimsOf(alice))
      .setSubject(alice.user.id)
      .setIssuer('orghub')
      .setAudience('orghub-api')
      .setExpirationTime('5m')
      .encode();
    expect(token.split('.')[2]).toBe('');
    expectError(await me(token), 401, 'unauthorized');
    // Same with a signature part bolted on.
    expectError(await me(`${token}c2ln`), 401, 'unauthorized');
  });

  it('refuses an expired token', async () => {
    const token = await sign(alice, { exp: Math.floor(Date.now() / 1000) - 120 });
    expectError(await me(token), 401, 'unauthorized');
  });

  it('refuses a tampered payload and a tampered signature', async () => {
    const good = await sign(alice);
    const [h, p, s] = good.split('.') as [string, string, string];
    const claims = decodeJwt(good);
    const promoted = Buffer.from(JSON.stringify({ ...claims, org: orgB })).toString('base64url');
    expectError(await me(`${h}.${promoted}.${s}`), 401, 'unauthorized');
    const flipped = `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    expectError(await me(`${h}.${p}.${flipped}`), 401, 'unauthorized');
    expectError(await me(`${h}.${p}`), 401, 'unauthorized');
  });

  it('refuses a token signed with another secret', async () => {
    const other = new TextEncoder().encode('another-secret-that-is-long-enough-1234');
    expectError(await me(await sign(alice, { secret: other })), 401, 'unauthorized');
  });

  it('refuses a wrong audience and a wrong issuer', async () => {
    expectError(await me(await sign(alice, { aud: 'someone-else' })), 401, 'unauthorized');
    expectError(await me(await sign(alice, { iss: 'evil' })), 401, 'unauthorized');
  });

  it('pins HS256: HS384 and HS512 with the right secret are refused', async () => {
    for (const alg of ['HS384', 'HS512']) {
      expectError(await me(await sign(alice, { alg })), 401, 'unauthorized');
    }
  });

  it('refuses a token whose user was claimed into another org', async () => {
    // Validly signed (an insider with the secret), but alice is not a user of org B.
    const token = await new SignJWT({ org: orgB, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(alice.user.id)
      .setIssuer('orghub')
      .setAudience('orghub-api')
      .setExpirationTime('5m')
      .sign(key);
    expectError(await me(token), 401, 'unauthorized');
  });

  it('takes the role from the database, not from the token', async () => {
    const member = await createUser(t, orgA);
    const token = await new SignJWT({ org: orgA, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(member.user.id)
      .setIssuer('orghub')
      .setAudience('orghub-api')
      .setExpirationTime('5m')
      .sign(key);
    const res = await api(t, 'DELETE', `/api/v1/users/${alice.user.id}`, { token });
    expectError(res, 403, 'forbidden');
  });

  it('a token of org A is useless on org B routes (404, never the data)', async () => {
    const token = alice.token;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/orgs/${orgB}`],
      ['GET', `/api/v1/orgs/${orgB}/groups`],
      ['POST', `/api/v1/orgs/${orgB}/groups`, { id: 'sneaky', name: 'Sneaky' }],
      ['GET', `/api/v1/orgs/${orgB}/users`],
      ['GET', `/api/v1/users/${bob.user.id}`],
      ['PUT', `/api/v1/users/${bob.user.id}`, { full_name: 'pwned' }],
      ['DELETE', `/api/v1/users/${bob.user.id}`],
      [
        'POST',
        '/api/v1/users',
        { org_id: orgB, username: 'mole', email: 'mole@example.test', password: 'long-password' },
      ],
    ];
    for (const [method, path, body] of routes) {
      const res = await api(t, method, path, { token, ...(body !== undefined && { body }) });
      expectError(res, 404, 'not_found');
    }
    const orgs = await api<Array<{ id: string }>>(t, 'GET', '/api/v1/orgs', { token });
    expect(orgs.body.map((o) => o.id)).toEqual([orgA]);
  });

  it('a deleted user is locked out at once, though the token has not expired', async () => {
    const gone = await createUser(t, orgA);
    expect((await me(gone.token)).status).toBe(200);
    const del = await api(t, 'DELETE', `/api/v1/users/${gone.user.id}`, { token: alice.token });
    expect(del.status).toBe(204);
    expectError(await me(gone.token), 401, 'unauthorized');
  });

  it('refresh-token reuse revokes every session; a forged refresh token is refused', async () => {
    const carol = await createUser(t, orgA);
    const s1 = (await login(t, { org_id: orgA, username: carol.user.username })).body;
    const s2 = (await login(t, { org_id: orgA, username: carol.user.username })).body;
    const rotated = (await refresh(t, s1.refresh_token)).body;
    expectError(await refresh(t, s1.refresh_token), 401, 'unauthorized');
    expectError(await refresh(t, rotated.refresh_token), 401, 'unauthorized');
    expectError(await refresh(t, s2.refresh_token), 401, 'unauthorized');
    // An access token is not a refresh token, and a guessed one is refused.
    expectError(await refresh(t, s2.access_token.slice(0, 200)), 401, 'unauthorized');
    expectError(await refresh(t, `ohrt_${'A'.repeat(43)}`), 401, 'unauthorized');
  });

  it('refuses malformed Authorization headers and the operator token with a suffix', async () => {
    for (const header of [
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      'Bearer',
      'Bearer a b',
      `Bearer ${t.operatorToken}x`,
      `${t.operatorToken}`,
      'Bearer ....',
    ]) {
      const res = await api(t, 'GET', '/api/v1/auth/me', { headers: { authorization: header } });
      expectError(res, 401, 'unauthorized');
    }
  });
});
