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
import { expectError, login, refresh } from './session.js';

interface User {
  id: string;
  username: string;
  email: string;
  full_name: string;
  org_id: string;
  role: string;
  created_at: string;
  updated_at: string;
}
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const uname = (p = 'u') => `${p}${randomUUID().slice(0, 8)}`;

describe('users', { timeout: 120_000 }, () => {
  let t: TestApp;
  let orgId: string;
  let admin: Fixture;
  let member: Fixture;
  beforeAll(async () => {
    t = await startApp({ config: { trustProxy: true } });
    orgId = (await createOrg(t)).id;
    admin = await createUser(t, orgId, { role: 'admin' });
    member = await createUser(t, orgId);
  });
  afterAll(() => t.close());

  const newUserBody = (extra: Record<string, unknown> = {}) => {
    const username = uname();
    return {
      org_id: orgId,
      username,
      email: `${username}@example.test`,
      password: 'a-long-password',
      ...extra,
    };
  };
  const post = (token: string, body: unknown) =>
    api<User>(t, 'POST', '/api/v1/users', { token, body });
  const put = (token: string, id: string, body: unknown) =>
    api<User>(t, 'PUT', `/api/v1/users/${id}`, { token, body });

  it('an admin creates a user: 201 with the contract shape, role member by default', async () => {
    const body = newUserBody({ full_name: 'Zoë Ünicode' });
    const res = await post(admin.token, body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: body.username,
      email: body.email,
      full_name: 'Zoë Ünicode',
      org_id: orgId,
      role: 'member',
      created_at: expect.stringMatching(TIMESTAMP),
      updated_at: expect.stringMatching(TIMESTAMP),
    });
    expect(JSON.stringify(res.body)).not.toContain('password');
    // The new user can sign in with that password.
    const signIn = await login(t, {
      org_id: orgId,
      username: body.username,
      password: body.password,
    });
    expect(signIn.status).toBe(200);
    const asAdmin = await post(admin.token, newUserBody({ role: 'admin' }));
    expect(asAdmin.body.role).toBe('admin');
    const byOperator = await post(t.operatorToken, newUserBody());
    expect(byOperator.status).toBe(201);
  });

  it('409 when the username or the email is taken in the org (case-insensitively)', async () => {
    const body = newUserBody();
    expect((await post(admin.token, body)).status).toBe(201);
    const sameName = await post(admin.token, {
      ...newUserBody(),
      username: body.username.toUpperCase(),
    });
    expectError(sameName, 409, 'conflict', 'username');
    const sameEmail = await post(admin.token, {
      ...newUserBody(),
      email: body.email.toUpperCase(),
    });
    expectError(sameEmail, 409, 'conflict', 'email');
    // Another org may have the same username.
    const other = (await createOrg(t)).id;
    expect((await post(t.operatorToken, { ...body, org_id: other })).status).toBe(201);
  });

  it('only an admin creates users (403 for a member; 404 for an unknown org)', async () => {
    expectError(await post(member.token, newUserBody()), 403, 'forbidden');
    expectError(
      await post(t.operatorToken, newUserBody({ org_id: 'no-such-org' })),
      404,
      'not_found',
    );
  });

  it('validates the user body, naming the field; unknown fields are refused', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ email: 'not-an-email' }, 'body.email'],
      [{ username: '' }, 'body.username'],
      [{ username: 'has space' }, 'body.username'],
      [{ role: 'owner' }, 'body.role'],
      [{ id: randomUUID() }, 'body.id'],
      [{ password_hash: 'x' }, 'body.password_hash'],
      [{ full_name: 12 }, 'body.full_name'],
    ];
    for (const [extra, field] of cases) {
      expectError(await post(admin.token, newUserBody(extra)), 400, 'bad_request', field);
    }
    const { password: _drop, ...noPassword } = newUserBody();
    expectError(await post(admin.token, noPassword), 400, 'bad_request', 'body.password');
  });

  it('GET /users/{id}: same org 200; unknown, malformed or other org 404', async () => {
    const res = await api<User>(t, 'GET', `/api/v1/users/${admin.user.id}`, {
      token: member.token,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: admin.user.id, role: 'admin', org_id: orgId });
    const stranger = await createUser(t, (await createOrg(t)).id);
    for (const id of [randomUUID(), 'nope', stranger.user.id]) {
      expectError(
        await api(t, 'GET', `/api/v1/users/${id}`, { token: member.token }),
        404,
        'not_found',
      );
    }
    const byOp = await api(t, 'GET', `/api/v1/users/${stranger.user.id}`, {
      token: t.operatorToken,
    });
    expect(byOp.status).toBe(200);
  });

  it('a user updates themself (full_name, email, password) but not their role', async () => {
    const me = await createUser(t, orgId);
    const email = `${uname('new')}@example.test`;
    const res = await put(me.token, me.user.id, {
      full_name: 'New Name',
      email,
      password: 'brand-new-password',
      current_password: PASSWORD,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: me.user.id,
      full_name: 'New Name',
      email,
      role: 'member',
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(res.body.created_at));
    const relog = await login(t, {
      org_id: orgId,
      username: me.user.username,
      password: 'brand-new-password',
    });
    expect(relog.status).toBe(200);
    expectError(await put(me.token, me.user.id, { role: 'admin' }), 403, 'forbidden', 'role');
    // A member may not change someone else.
    expectError(await put(me.token, member.user.id, { full_name: 'x' }), 403, 'forbidden');
  });

  it("changing one's own password or email takes the current password", async () => {
    const me = await createUser(t, orgId);
    for (const change of [
      { password: 'another-new-password' },
      { email: `${uname('e')}@x.test` },
    ]) {
      expectError(await put(me.token, me.user.id, change), 400, 'bad_request', 'current_password');
      expectError(
        await put(me.token, me.user.id, { ...change, current_password: 'not-my-password' }),
        403,
        'forbidden',
        'current_password',
      );
    }
    // Nothing changed: the old password still signs in.
    const still = await login(t, { org_id: orgId, username: me.user.username });
    expect(still.status).toBe(200);
    // Other fields need no password.
    expect((await put(me.token, me.user.id, { full_name: 'Just A Name' })).status).toBe(200);
  });

  it('a password change ends the other sessions; an admin reset ends them all', async () => {
    const me = await createUser(t, orgId);
    const as = () => login(t, { org_id: orgId, username: me.user.username });
    const [here, there] = [(await as()).body, (await as()).body];
    const changed = await put(here.access_token, me.user.id, {
      password: 'changed-by-me-123',
      current_password: PASSWORD,
    });
    expect(changed.status).toBe(200);
    // The session that made the change lives on; the other one cannot refresh.
    expectError(await refresh(t, there.refresh_token), 401, 'unauthorized');
    const kept = await refresh(t, here.refresh_token);
    expect(kept.status).toBe(200);

    const reset = await put(admin.token, me.user.id, { password: 'reset-by-admin-123' });
    expect(reset.status).toBe(200);
    expectError(await refresh(t, kept.body.refresh_token), 401, 'unauthorized');
    const relog = await login(t, {
      org_id: orgId,
      username: me.user.username,
      password: 'reset-by-admin-123',
    });
    expect(relog.status).toBe(200);
  });

  it('refuses common breached passwords and ones made of the username or email, naming the field', async () => {
    const name = uname('pat');
    for (const password of ['password', '12345678', 'Qwertyuiop', `${name}`, `my-${name}-1`]) {
      const res = await post(admin.token, newUserBody({ username: name, password }));
      expectError(res, 400, 'bad_request', 'body.password');
    }
    const me = await createUser(t, orgId);
    expectError(
      await put(me.token, me.user.id, { password: 'iloveyou', current_password: PASSWORD }),
      400,
      'bad_request',
      'body.password',
    );
    const fine = await post(
      admin.token,
      newUserBody({ username: name, password: 'plum-lantern-47-oak' }),
    );
    expect(fine.status).toBe(201);
  });

  it('an admin changes roles; an org keeps at least one admin (409)', async () => {
    const orgId2 = (await createOrg(t)).id;
    const boss = await createUser(t, orgId2, { role: 'admin' });
    const pleb = await createUser(t, orgId2);
    const promoted = await put(boss.token, pleb.user.id, { role: 'admin' });
    expect(promoted).toMatchObject({ status: 200, body: { role: 'admin' } });
    // The role applies to the next request: the promoted user may now create users.
    expect((await post(pleb.token, newUserBody({ org_id: orgId2 }))).status).toBe(201);
    expect((await put(pleb.token, boss.user.id, { role: 'member' })).status).toBe(200);
    expectError(await put(pleb.token, pleb.user.id, { role: 'member' }), 409, 'conflict');
    expectError(await put(boss.token, boss.user.id, { role: 'admin' }), 403, 'forbidden');
  });

  it('PUT validates: empty body, unknown fields, wrong types, duplicate email', async () => {
    expectError(await put(admin.token, member.user.id, {}), 400, 'bad_request', 'body');
    expectError(
      await put(admin.token, member.user.id, { org_id: 'elsewhere' }),
      400,
      'bad_request',
      'body.org_id',
    );
    expectError(
      await put(admin.token, member.user.id, { username: 'renamed' }),
      400,
      'bad_request',
      'body.username',
    );
    expectError(
      await put(admin.token, member.user.id, { email: 'bad' }),
      400,
      'bad_request',
      'body.email',
    );
    expectError(
      await put(admin.token, member.user.id, { email: admin.user.email }),
      409,
      'conflict',
      'email',
    );
  });

  it('DELETE: admin only (403 for a member, 204 for an admin, then 404)', async () => {
    const victim = await createUser(t, orgId);
    expectError(
      await api(t, 'DELETE', `/api/v1/users/${victim.user.id}`, { token: member.token }),
      403,
      'forbidden',
    );
    expectError(
      await api(t, 'DELETE', `/api/v1/users/${victim.user.id}`, { token: victim.token }),
      403,
      'forbidden',
    );
    const del = await api(t, 'DELETE', `/api/v1/users/${victim.user.id}`, { token: admin.token });
    expect(del.status).toBe(204);
    expect(del.body).toBe('');
    expectError(
      await api(t, 'GET', `/api/v1/users/${victim.user.id}`, { token: admin.token }),
      404,
      'not_found',
    );
    expectError(
      await api(t, 'DELETE', `/api/v1/users/${victim.user.id}`, { token: admin.token }),
      404,
      'not_found',
    );
  });

  it('the last admin of an org cannot be deleted (409)', async () => {
    const lone = (await createOrg(t)).id;
    const boss = await createUser(t, lone, { role: 'admin' });
    expectError(
      await api(t, 'DELETE', `/api/v1/users/${boss.user.id}`, { token: t.operatorToken }),
      409,
      'conflict',
    );
  });

  it('search by username: 200 in the caller org, 404 otherwise', async () => {
    const search = (token: string, q: string) =>
      api<User>(t, 'GET', `/api/v1/users/search?${q}`, { token });
    const found = await search(member.token, `username=${admin.user.username}`);
    expect(found).toMatchObject({ status: 200, body: { id: admin.user.id } });
    expectError(await search(member.token, 'username=nobody-at-all'), 404, 'not_found');
    const otherOrg = (await createOrg(t)).id;
    const stranger = await createUser(t, otherOrg);
    expectError(await search(member.token, `username=${stranger.user.username}`), 404, 'not_found');
    expectError(await search(member.token, ''), 400, 'bad_request', 'query.username');
    // The operator names the org.
    const byOp = await search(
      t.operatorToken,
      `username=${stranger.user.username}&org_id=${otherOrg}`,
    );
    expect(byOp).toMatchObject({ status: 200, body: { id: stranger.user.id } });
    expectError(
      await search(t.operatorToken, `username=${stranger.user.username}`),
      400,
      'bad_request',
      'org_id',
    );
  });

  it('GET /orgs/{orgId}/users lists the org users to members', async () => {
    const res = await api<User[]>(t, 'GET', `/api/v1/orgs/${orgId}/users`, { token: member.token });
    expect(res.status).toBe(200);
    const ids = res.body.map((u) => u.id);
    expect(ids).toEqual(expect.arrayContaining([admin.user.id, member.user.id]));
    expect(res.body.every((u) => u.org_id === orgId)).toBe(true);
    expect(JSON.stringify(res.body)).not.toMatch(/password|scrypt/);
    const other = (await createOrg(t)).id;
    expectError(
      await api(t, 'GET', `/api/v1/orgs/${other}/users`, { token: member.token }),
      404,
      'not_found',
    );
    const byOp = await api<User[]>(t, 'GET', `/api/v1/orgs/${orgId}/users`, {
      token: t.operatorToken,
    });
    expect(byOp.body.map((u) => u.id)).toEqual(expect.arrayContaining(ids));
  });
});
