import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { expectError } from './session.js';

/**
 * Two orgs, A and B. Whatever a user of A sends that names B's org, users or groups, in the
 * path, the query or the body, is answered as if it did not exist; and nothing of B changes.
 */
describe('tenancy', () => {
  let t: TestApp;
  let A: string;
  let B: string;
  let adminA: Fixture;
  let memberA: Fixture;
  let adminB: Fixture;
  let memberB: Fixture;
  const groupA = 'team-a';
  const groupB = 'team-b';
  const privB = 'secret-b';

  beforeAll(async () => {
    t = await startApp();
    A = (await createOrg(t, `org-a-${randomUUID().slice(0, 6)}`)).id;
    B = (await createOrg(t, `org-b-${randomUUID().slice(0, 6)}`)).id;
    adminA = await createUser(t, A, { role: 'admin' });
    memberA = await createUser(t, A);
    adminB = await createUser(t, B, { role: 'admin' });
    memberB = await createUser(t, B);
    const mk = (token: string, org: string, body: unknown) =>
      api(t, 'POST', `/api/v1/orgs/${org}/groups`, { token, body });
    expect((await mk(adminA.token, A, { id: groupA, name: 'A team' })).status).toBe(201);
    expect((await mk(adminB.token, B, { id: groupB, name: 'B team' })).status).toBe(201);
    expect((await mk(adminB.token, B, { id: privB, name: 'B', private: true })).status).toBe(201);
  });
  afterAll(() => t.close());

  const uB = () => memberB.user.id;
  const newUser = (org: string) => {
    const username = `mole${randomUUID().slice(0, 6)}`;
    return { org_id: org, username, email: `${username}@example.test`, password: 'long-password' };
  };

  it("every route with the other org's ids in the path answers 404", async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/orgs/${B}`],
      ['GET', `/api/v1/orgs/${B}/groups`],
      ['POST', `/api/v1/orgs/${B}/groups`, { id: 'planted', name: 'Planted' }],
      ['GET', `/api/v1/orgs/${B}/users`],
      ['PUT', `/api/v1/orgs/${B}/groups/${groupB}/members/${adminA.user.id}`],
      ['DELETE', `/api/v1/orgs/${B}/groups/${groupB}/members/${uB()}`],
      ['PUT', `/api/v1/orgs/${B}/groups/${privB}/members/${uB()}`],
      // A's path, B's group or user.
      ['PUT', `/api/v1/orgs/${A}/groups/${groupB}/members/${memberA.user.id}`],
      ['PUT', `/api/v1/orgs/${A}/groups/${groupA}/members/${uB()}`],
      ['DELETE', `/api/v1/orgs/${A}/groups/${groupA}/members/${uB()}`],
      ['GET', `/api/v1/users/${uB()}`],
      ['PUT', `/api/v1/users/${uB()}`, { full_name: 'Owned' }],
      ['PUT', `/api/v1/users/${uB()}`, { role: 'admin' }],
      ['DELETE', `/api/v1/users/${uB()}`],
    ];
    for (const token of [adminA.token, memberA.token]) {
      for (const [method, path, body] of routes) {
        const res = await api(t, method, path, { token, ...(body !== undefined && { body }) });
        expect.soft(`${res.status} ${method} ${path}`).toBe(`404 ${method} ${path}`);
        expectError(res, 404, 'not_found');
      }
    }
  });

  it("the other org's ids in the query answer 404", async () => {
    for (const q of [
      `username=${memberB.user.username}`,
      `username=${memberB.user.username}&org_id=${B}`,
      `username=${memberA.user.username}&org_id=${B}`,
    ]) {
      const res = await api(t, 'GET', `/api/v1/users/search?${q}`, { token: adminA.token });
      expectError(res, 404, 'not_found');
    }
    // Naming one's own org is fine.
    const own = await api(
      t,
      'GET',
      `/api/v1/users/search?username=${memberA.user.username}&org_id=${A}`,
      { token: memberA.token },
    );
    expect(own.status).toBe(200);
  });

  it("the other org's id in a body answers 404 (an admin of A creating a user in B)", async () => {
    expectError(
      await api(t, 'POST', '/api/v1/users', { token: adminA.token, body: newUser(B) }),
      404,
      'not_found',
    );
    // Same for a member (who could not create in A either).
    expectError(
      await api(t, 'POST', '/api/v1/users', { token: memberA.token, body: newUser(B) }),
      404,
      'not_found',
    );
  });

  it('body fields that would move data or escalate are refused with 400 naming the field', async () => {
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['PUT', `/api/v1/users/${memberA.user.id}`, { org_id: B }, 'body.org_id'],
      ['PUT', `/api/v1/users/${memberA.user.id}`, { id: randomUUID() }, 'body.id'],
      [
        'PUT',
        `/api/v1/users/${memberA.user.id}`,
        { full_name: 'x', is_admin: true },
        'body.is_admin',
      ],
      ['PUT', `/api/v1/users/${memberA.user.id}`, { created_at: '2020-01-01' }, 'body.created_at'],
      ['POST', '/api/v1/users', { ...newUser(A), id: randomUUID() }, 'body.id'],
      ['POST', '/api/v1/users', { ...newUser(A), org: B }, 'body.org'],
      ['POST', `/api/v1/orgs/${A}/groups`, { id: 'g1', name: 'G', org_id: B }, 'body.org_id'],
      ['POST', `/api/v1/orgs/${A}/groups`, { id: 'g2', name: 'G', kind: 'dm' }, 'body.kind'],
      [
        'POST',
        '/api/v1/auth/login',
        { org_id: A, username: 'x', password: 'y', role: 'admin' },
        'body.role',
      ],
      ['POST', '/api/v1/auth/refresh', { refresh_token: 'x', user_id: uB() }, 'body.user_id'],
      [
        'POST',
        '/api/v1/auth/signup',
        {
          org_id: `s-${randomUUID().slice(0, 6)}`,
          org_name: 'S',
          username: 'founder',
          email: 'f@example.test',
          password: 'long-password',
          role: 'member',
        },
        'body.role',
      ],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await api(t, method, path, { token: memberA.token, body });
      expectError(res, 400, 'bad_request', field);
    }
    // A member changing their own role is not a 400 but a 403.
    expectError(
      await api(t, 'PUT', `/api/v1/users/${memberA.user.id}`, {
        token: memberA.token,
        body: { role: 'admin' },
      }),
      403,
      'forbidden',
    );
  });

  it('malformed ids in a path answer 404', async () => {
    const op = t.operatorToken;
    for (const path of [
      '/api/v1/orgs/-dash',
      '/api/v1/orgs/has%20space',
      `/api/v1/orgs/${'x'.repeat(300)}`,
      '/api/v1/orgs/%00',
      '/api/v1/orgs/%E2%9C%93/groups',
      '/api/v1/orgs/..%2F..%2Fetc/users',
      '/api/v1/users/123',
      '/api/v1/users/not-a-uuid',
      '/api/v1/users/%00',
      `/api/v1/users/${randomUUID()}x`,
    ]) {
      for (const token of [op, adminA.token]) {
        const res = await api(t, 'GET', path, { token });
        expectError(res, 404, 'not_found');
      }
    }
    for (const path of [
      `/api/v1/orgs/${A}/groups/bad%20id/members/${memberA.user.id}`,
      `/api/v1/orgs/${A}/groups/${groupA}/members/not-a-uuid`,
      `/api/v1/orgs/${A}/groups/%00/members/${memberA.user.id}`,
    ]) {
      expectError(await api(t, 'PUT', path, { token: adminA.token }), 404, 'not_found');
    }
  });

  it("nothing of B changed, and B's private group stays hidden from A", async () => {
    const user = await api(t, 'GET', `/api/v1/users/${uB()}`, { token: adminB.token });
    expect(user.body).toMatchObject({ role: 'member', full_name: memberB.user.fullName });
    const groups = await api<Array<{ id: string }>>(t, 'GET', `/api/v1/orgs/${B}/groups`, {
      token: adminB.token,
    });
    expect(groups.body.map((g) => g.id).sort()).toEqual([groupB, privB].sort());
    const users = await api<Array<{ org_id: string }>>(t, 'GET', `/api/v1/orgs/${B}/users`, {
      token: adminB.token,
    });
    expect(users.body).toHaveLength(2);
    const aGroups = await api<Array<{ id: string }>>(t, 'GET', `/api/v1/orgs/${A}/groups`, {
      token: adminA.token,
    });
    expect(aGroups.body.map((g) => g.id)).toEqual([groupA]);
  });
});
