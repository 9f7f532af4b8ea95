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

interface Group {
  id: string;
  org_id: string;
  name: string;
  private: boolean;
  created_at: string;
}
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const slug = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

// One app for the file: booting is the expensive part.
let t: TestApp;
let op: string;
beforeAll(async () => {
  t = await startApp();
  op = t.operatorToken;
});
afterAll(() => t.close());

describe('organizations', () => {
  it('the operator creates an org: 201 {id, name, created_at} plus the seed’s org_id, status, message; 409 when the id exists', async () => {
    const id = slug('acme');
    const res = await api(t, 'POST', '/api/v1/orgs', { token: op, body: { id, name: 'Acme' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id,
      name: 'Acme',
      created_at: expect.stringMatching(TIMESTAMP),
      org_id: id,
      status: 'success',
      message: expect.stringMatching(/created/),
    });
    // What GET answers is the org itself, without the create answer's fields.
    const got = await api(t, 'GET', `/api/v1/orgs/${id}`, { token: op });
    expect(got.body).toEqual({ id, name: 'Acme', created_at: res.body.created_at });
    const again = await api(t, 'POST', '/api/v1/orgs', { token: op, body: { id, name: 'Dup' } });
    expectError(again, 409, 'conflict', id);
  });

  it('validates the org body, naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'x' }, 'body.id'],
      [{ id: 'ok-id' }, 'body.name'],
      [{ id: '-starts-with-dash', name: 'x' }, 'body.id'],
      [{ id: 'a'.repeat(65), name: 'x' }, 'body.id'],
      [{ id: 'has space', name: 'x' }, 'body.id'],
      [{ id: 'ok-id', name: '' }, 'body.name'],
      [{ id: 'ok-id', name: 7 }, 'body.name'],
      [{ id: 'ok-id', name: 'x', created_at: '2020-01-01T00:00:00.000Z' }, 'body.created_at'],
    ];
    for (const [body, field] of cases) {
      const res = await api(t, 'POST', '/api/v1/orgs', { token: op, body });
      expectError(res, 400, 'bad_request', field);
    }
  });

  it('only the operator creates orgs; a user gets 403, no token 401', async () => {
    const org = await createOrg(t);
    const admin = await createUser(t, org.id, { role: 'admin' });
    const body = { id: slug('mine'), name: 'Mine' };
    expectError(
      await api(t, 'POST', '/api/v1/orgs', { token: admin.token, body }),
      403,
      'forbidden',
    );
    expectError(await api(t, 'POST', '/api/v1/orgs', { body }), 401, 'unauthorized');
  });

  it('GET /orgs: the operator sees every org, a user only their own', async () => {
    const a = await createOrg(t);
    const b = await createOrg(t);
    const user = await createUser(t, a.id);
    const all = await api<Array<{ id: string }>>(t, 'GET', '/api/v1/orgs', { token: op });
    expect(all.status).toBe(200);
    expect(all.body.map((o) => o.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    const mine = await api(t, 'GET', '/api/v1/orgs', { token: user.token });
    expect(mine).toMatchObject({ status: 200, body: [{ id: a.id, name: a.name }] });
  });

  it('GET /orgs/{id}: members and the operator; 404 for another org and for none', async () => {
    const a = await createOrg(t);
    const b = await createOrg(t);
    const user = await createUser(t, a.id);
    const own = await api(t, 'GET', `/api/v1/orgs/${a.id}`, { token: user.token });
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ id: a.id, name: a.name, created_at: expect.any(String) });
    expect((await api(t, 'GET', `/api/v1/orgs/${b.id}`, { token: op })).status).toBe(200);
    expectError(
      await api(t, 'GET', `/api/v1/orgs/${b.id}`, { token: user.token }),
      404,
      'not_found',
    );
    expectError(await api(t, 'GET', '/api/v1/orgs/nope-nope', { token: op }), 404, 'not_found');
  });
});

describe('groups and private-group membership', () => {
  let orgId: string;
  let admin: Fixture;
  let ann: Fixture; // member
  let ben: Fixture; // member
  beforeAll(async () => {
    orgId = (await createOrg(t)).id;
    admin = await createUser(t, orgId, { role: 'admin' });
    ann = await createUser(t, orgId);
    ben = await createUser(t, orgId);
  });

  const createGroup = (token: string, body: unknown, org = orgId) =>
    api<Group>(t, 'POST', `/api/v1/orgs/${org}/groups`, { token, body });
  const list = async (token: string) => {
    const res = await api<Group[]>(t, 'GET', `/api/v1/orgs/${orgId}/groups`, { token });
    expect(res.status).toBe(200);
    return res.body.map((g) => g.id);
  };
  const member = (method: 'PUT' | 'DELETE', token: string, groupId: string, userId: string) =>
    api(t, method, `/api/v1/orgs/${orgId}/groups/${groupId}/members/${userId}`, { token });

  it('any member creates a group: 201 with the contract shape, private defaults to false', async () => {
    const id = slug('eng');
    const res = await createGroup(ann.token, { id, name: 'Engineering' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id,
      org_id: orgId,
      name: 'Engineering',
      private: false,
      created_at: expect.stringMatching(TIMESTAMP),
      group_id: id,
      status: 'success',
      message: expect.stringMatching(/created/),
    });
    expectError(await createGroup(ben.token, { id, name: 'Again' }), 409, 'conflict');
    // The same id in another org is fine.
    const other = (await createOrg(t)).id;
    expect((await createGroup(t.operatorToken, { id, name: 'x' }, other)).status).toBe(201);
  });

  it('validates the group body, naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'x' }, 'body.id'],
      [{ id: 'g' }, 'body.name'],
      [{ id: 'bad id', name: 'x' }, 'body.id'],
      [{ id: 'g', name: 'x', private: 'yes' }, 'body.private'],
      [{ id: 'g', name: 'x', org_id: orgId }, 'body.org_id'],
      [{ id: 'g', name: 'x', created_by: admin.user.id }, 'body.created_by'],
    ];
    for (const [body, field] of cases) {
      expectError(await createGroup(ann.token, body), 400, 'bad_request', field);
    }
  });

  it('lists public groups to everyone; a private group only to its members and admins', async () => {
    const pub = slug('pub');
    const priv = slug('priv');
    expect((await createGroup(ann.token, { id: pub, name: 'Public' })).status).toBe(201);
    const created = await createGroup(ann.token, { id: priv, name: 'Secret', private: true });
    expect(created.body.private).toBe(true);
    expect(await list(ann.token)).toEqual(expect.arrayContaining([pub, priv]));
    expect(await list(admin.token)).toEqual(expect.arrayContaining([pub, priv]));
    expect(await list(t.operatorToken)).toEqual(expect.arrayContaining([pub, priv]));
    const bens = await list(ben.token);
    expect(bens).toContain(pub);
    expect(bens).not.toContain(priv);
  });

  it('a member of a private group adds and removes members (204); others cannot', async () => {
    const priv = slug('priv');
    await createGroup(ann.token, { id: priv, name: 'Secret', private: true });
    const cat = await createUser(t, orgId);
    // Ben is not in it: the group does not exist for him.
    expectError(await member('PUT', ben.token, priv, cat.user.id), 404, 'not_found');
    // Ann (creator, first member) adds Ben; now Ben sees it and may add Cat.
    expect((await member('PUT', ann.token, priv, ben.user.id)).status).toBe(204);
    expect(await list(ben.token)).toContain(priv);
    expect((await member('PUT', ben.token, priv, cat.user.id)).status).toBe(204);
    expect(await list(cat.token)).toContain(priv);
    // Adding twice is harmless.
    expect((await member('PUT', ben.token, priv, cat.user.id)).status).toBe(204);
    // Ben removes Cat; Cat loses sight of it and can no longer act on it.
    const del = await member('DELETE', ben.token, priv, cat.user.id);
    expect(del.status).toBe(204);
    expect(del.body).toBe('');
    expect(await list(cat.token)).not.toContain(priv);
    expectError(await member('PUT', cat.token, priv, cat.user.id), 404, 'not_found');
    // An admin who is not a member may still manage it.
    expect((await member('PUT', admin.token, priv, cat.user.id)).status).toBe(204);
    expect(await list(cat.token)).toContain(priv);
  });

  it('public group membership is changed by admins only (403 for a member)', async () => {
    const pub = slug('pub');
    await createGroup(ann.token, { id: pub, name: 'Public' });
    expectError(await member('PUT', ann.token, pub, ben.user.id), 403, 'forbidden');
    expect((await member('PUT', admin.token, pub, ben.user.id)).status).toBe(204);
    expect((await member('DELETE', t.operatorToken, pub, ben.user.id)).status).toBe(204);
  });

  it('membership: unknown group, unknown or malformed user, another org → 404', async () => {
    const priv = slug('priv');
    await createGroup(admin.token, { id: priv, name: 'Secret', private: true });
    const otherOrg = (await createOrg(t)).id;
    const stranger = await createUser(t, otherOrg);
    expectError(await member('PUT', admin.token, 'no-group', ann.user.id), 404, 'not_found');
    expectError(await member('PUT', admin.token, priv, randomUUID()), 404, 'not_found');
    expectError(await member('PUT', admin.token, priv, 'not-a-uuid'), 404, 'not_found');
    expectError(await member('PUT', admin.token, priv, stranger.user.id), 404, 'not_found');
    expectError(await member('PUT', stranger.token, priv, stranger.user.id), 404, 'not_found');
  });

  it('the operator creates groups in an existing org only', async () => {
    const id = slug('op');
    expect((await createGroup(t.operatorToken, { id, name: 'By operator' })).status).toBe(201);
    expectError(
      await createGroup(t.operatorToken, { id, name: 'x' }, 'no-such-org'),
      404,
      'not_found',
    );
    expectError(
      await api(t, 'GET', '/api/v1/orgs/no-such-org/groups', { token: t.operatorToken }),
      404,
      'not_found',
    );
  });
});

describe('the seed’s create answers in OpenAPI', () => {
  it('POST /orgs and POST /orgs/{orgId}/groups answer 201 with the seed’s fields', async () => {
    interface Schema {
      properties: Record<string, unknown>;
      required?: string[];
    }
    const spec = await api<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, Schema> };
    }>(t, 'GET', '/openapi.json');
    const created = (path: string) => JSON.stringify(spec.body.paths[path]!.post!.responses['201']);
    expect(created('/api/v1/orgs')).toContain('OrgCreated');
    expect(created('/api/v1/orgs/{orgId}/groups')).toContain('GroupCreated');
    const { OrgCreated, GroupCreated } = spec.body.components.schemas;
    for (const [schema, idField] of [
      [OrgCreated, 'org_id'],
      [GroupCreated, 'group_id'],
    ] as const) {
      expect(schema!.required).toEqual(
        expect.arrayContaining(['id', 'created_at', idField, 'status', 'message']),
      );
      expect(schema!.properties['status']).toMatchObject({ enum: ['success'] });
    }
  });
});
