import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';

/**
 * A malformed id in a path is a 404 like any unknown id (the contract), on every method: the
 * fuzz suite found PUT and DELETE of `/tasks/{id}` handing a non-uuid to PostgreSQL (500).
 */
describe('malformed ids in paths', () => {
  let t: TestApp;
  let admin: Fixture;
  let member: Fixture;
  beforeAll(async () => {
    t = await startApp();
    const orgId = (await createOrg(t)).id;
    admin = await createUser(t, orgId, { role: 'admin' });
    member = await createUser(t, orgId);
  });
  afterAll(() => t.close());

  const IDS = ['nope', '12345', encodeURIComponent('\u{99bbc}\u{97e43}'), 'a'.repeat(200)];
  const routes: Array<[string, (id: string) => string, unknown]> = [
    ['GET', (id) => `/api/v1/tasks/${id}`, undefined],
    ['PUT', (id) => `/api/v1/tasks/${id}`, { title: 'x' }],
    ['DELETE', (id) => `/api/v1/tasks/${id}`, undefined],
    ['GET', (id) => `/api/v1/tasks/${id}/activity`, undefined],
    ['POST', (id) => `/api/v1/notifications/${id}/read`, undefined],
    ['GET', (id) => `/api/v1/users/${id}`, undefined],
    ['PUT', (id) => `/api/v1/users/${id}`, { full_name: 'x' }],
    ['DELETE', (id) => `/api/v1/users/${id}`, undefined],
    ['GET', (id) => `/api/v1/users/${id}/tasks`, undefined],
    ['POST', (id) => `/api/v1/users/${id}/tasks`, { title: 'x' }],
  ];

  it('answers 404 not_found for every method, to a member, an admin and the operator', async () => {
    const wrong: string[] = [];
    for (const [method, path, body] of routes)
      for (const id of IDS)
        for (const token of [member.token, admin.token, t.operatorToken]) {
          const r = await api(t, method, path(id), { token, ...(body !== undefined && { body }) });
          if (r.status !== 404) wrong.push(`${method} ${path(id)}: ${r.status}`);
        }
    expect(wrong).toEqual([]);
  });
});
