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

describe('seed task routes', () => {
  let t: TestApp;
  let orgId: string;
  let admin: Fixture;
  let alice: Fixture;
  let bob: Fixture;
  let outsider: Fixture;

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    admin = await createUser(t, orgId, { role: 'admin' });
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    const other = (await createOrg(t)).id;
    outsider = await createUser(t, other);
  });
  afterAll(() => t.close());

  const create = (who: Fixture, userId: string, body: unknown) =>
    api(t, 'POST', `/api/v1/users/${userId}/tasks`, { token: who.token, body });

  it('creates with defaults, an ETag and version 1', async () => {
    const res = await create(alice, alice.user.id, { title: 'Write spec' });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toEqual({
      id: expect.any(String),
      org_id: orgId,
      user_id: alice.user.id,
      created_by: alice.user.id,
      title: 'Write spec',
      description: '',
      status: 'pending',
      priority: 'medium',
      due_date: null,
      reminders: [],
      version: 1,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: expect.any(String),
      completed_at: null,
    });
  });

  it('lets a member assign work to another member; the operator creates with created_by null', async () => {
    const byBob = await create(bob, alice.user.id, { title: 'From bob', priority: 'urgent' });
    expect(byBob.status).toBe(201);
    expect(byBob.body).toMatchObject({ user_id: alice.user.id, created_by: bob.user.id });
    const byOp = await api(t, 'POST', `/api/v1/users/${alice.user.id}/tasks`, {
      token: t.operatorToken,
      body: { title: 'From the operator' },
    });
    expect(byOp.status).toBe(201);
    expect(byOp.body.created_by).toBeNull();
  });

  it('refuses a user of another org, a malformed id, and bad bodies, naming the field', async () => {
    expect((await create(alice, outsider.user.id, { title: 'x' })).status).toBe(404);
    expect((await create(alice, 'not-a-uuid', { title: 'x' })).status).toBe(404);
    const cases: Array<[unknown, RegExp]> = [
      [{}, /title/],
      [{ title: '' }, /title/],
      [{ title: 'x', status: 'done' }, /status/],
      [{ title: 'x', priority: 'highest' }, /priority/],
      [{ title: 'x', due_date: 'tomorrow' }, /due_date/],
      [{ title: 'x', reminders: [{ in: 5 }] }, /reminders/],
      [{ title: 'x', reminders: [{ before_due_minutes: -1 }] }, /reminders/],
      [{ title: 'x', org_id: 'other' }, /org_id/],
      [{ title: 'x', due_date: '0000-01-01T00:00:00Z' }, /due_date/],
      [{ title: 'x', due_date: '9999-12-31T23:59:59Z' }, /due_date/],
      [{ title: 'x', reminders: [{ at: '0000-01-01T00:00:00Z' }] }, /reminders/],
    ];
    for (const [body, field] of cases) {
      const res = await create(alice, alice.user.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('bad_request');
      expect(res.body.error).toMatch(field);
    }
  });

  it('gets a task in the same org; another org gets 404', async () => {
    const { body: task } = await create(alice, alice.user.id, { title: 'Visible' });
    const got = await api(t, 'GET', `/api/v1/tasks/${task.id}`, { token: bob.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(task);
    expect(got.headers.get('etag')).toBe('"1"');
    const foreign = await api(t, 'GET', `/api/v1/tasks/${task.id}`, { token: outsider.token });
    expect(foreign.status).toBe(404);
    expect((await api(t, 'GET', '/api/v1/tasks/nope', { token: bob.token })).status).toBe(404);
    expect(
      (await api(t, 'GET', `/api/v1/tasks/${randomUUID()}`, { token: bob.token })).status,
    ).toBe(404);
  });

  it('lists a user’s tasks, filtered by status', async () => {
    const u = await createUser(t, orgId);
    await create(u, u.user.id, { title: 'a' });
    await create(u, u.user.id, { title: 'b', status: 'in_progress' });
    await create(u, u.user.id, { title: 'c', status: 'completed' });
    const all = await api(t, 'GET', `/api/v1/users/${u.user.id}/tasks`, { token: bob.token });
    expect(all.status).toBe(200);
    expect(all.body.map((x: { title: string }) => x.title)).toEqual(['c', 'b', 'a']);
    const done = await api(t, 'GET', `/api/v1/users/${u.user.id}/tasks?status=completed`, {
      token: u.token,
    });
    expect(done.body).toHaveLength(1);
    expect(done.body[0].completed_at).not.toBeNull();
    const bad = await api(t, 'GET', `/api/v1/users/${u.user.id}/tasks?status=done`, {
      token: u.token,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/status/);
    const foreign = await api(t, 'GET', `/api/v1/users/${u.user.id}/tasks`, {
      token: outsider.token,
    });
    expect(foreign.status).toBe(404);
  });

  it('due-soon lists open tasks due before now + hours, overdue ones included, soonest first', async () => {
    const u = await createUser(t, orgId);
    const inH = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    await create(u, u.user.id, { title: 'in 5h', due_date: inH(5) });
    await create(u, u.user.id, { title: 'in 1h', due_date: inH(1) });
    await create(u, u.user.id, { title: 'in 30h', due_date: inH(30) });
    await create(u, u.user.id, { title: 'past', due_date: inH(-1) });
    await create(u, u.user.id, { title: 'long past', due_date: inH(-400), status: 'in_progress' });
    await create(u, u.user.id, { title: 'done', due_date: inH(2), status: 'completed' });
    await create(u, u.user.id, { title: 'done late', due_date: inH(-2), status: 'completed' });
    await create(u, u.user.id, { title: 'dropped', due_date: inH(-3), status: 'cancelled' });
    await create(u, u.user.id, { title: 'none' });
    const soon = await api(t, 'GET', `/api/v1/users/${u.user.id}/tasks/due-soon`, {
      token: u.token,
    });
    expect(soon.status).toBe(200);
    const titles = (res: typeof soon) => res.body.map((x: { title: string }) => x.title);
    expect(titles(soon)).toEqual(['long past', 'past', 'in 1h', 'in 5h']);
    const wide = await api(t, 'GET', `/api/v1/users/${u.user.id}/tasks/due-soon?hours=48`, {
      token: u.token,
    });
    expect(titles(wide)).toEqual(['long past', 'past', 'in 1h', 'in 5h', 'in 30h']);
    // hours=0: only what is already overdue.
    const now = await api(t, 'GET', `/api/v1/users/${u.user.id}/tasks/due-soon?hours=0`, {
      token: u.token,
    });
    expect(titles(now)).toEqual(['long past', 'past']);
    for (const hours of ['-1', '1e9', 'abc', '99999']) {
      const res = await api(t, 'GET', `/api/v1/users/${u.user.id}/tasks/due-soon?hours=${hours}`, {
        token: u.token,
      });
      expect(res.status, hours).toBe(400);
      expect(res.body.error).toMatch(/hours/);
    }
  });

  it('updates any subset: version +1, completed_at follows status, unknown fields refused', async () => {
    const { body: task } = await create(alice, alice.user.id, { title: 'Edit me' });
    const put = (body: unknown, headers: Record<string, string> = {}) =>
      api(t, 'PUT', `/api/v1/tasks/${task.id}`, { token: bob.token, body, headers });
    const done = await put({ status: 'completed', priority: 'high' });
    expect(done.status).toBe(200);
    expect(done.headers.get('etag')).toBe('"2"');
    expect(done.body).toMatchObject({ status: 'completed', priority: 'high', version: 2 });
    expect(done.body.completed_at).not.toBeNull();
    const reopened = await put({ status: 'in_progress' });
    expect(reopened.body).toMatchObject({ status: 'in_progress', version: 3, completed_at: null });
    const same = await put({ status: 'in_progress' });
    expect(same.body.version).toBe(3);
    expect((await put({ version: 9 })).status).toBe(400);
    expect((await put({})).status).toBe(400);
    expect((await put({ title: 'x' }, { 'if-match': 'nonsense' })).body.error).toMatch(/If-Match/);
  });

  it('If-Match: 1, "1" and W/"1" are accepted; a stale one gets 412 version_conflict', async () => {
    const { body: task } = await create(alice, alice.user.id, { title: 'Versioned' });
    let version = 1;
    for (const form of [
      (v: number) => `${v}`,
      (v: number) => `"${v}"`,
      (v: number) => `W/"${v}"`,
    ]) {
      const ok = await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
        token: alice.token,
        body: { title: `v${version + 1}` },
        headers: { 'if-match': form(version) },
      });
      expect(ok.status).toBe(200);
      version += 1;
      expect(ok.body.version).toBe(version);
    }
    const stale = await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: alice.token,
      body: { title: 'late' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('version_conflict');
    expect(
      (await api(t, 'GET', `/api/v1/tasks/${task.id}`, { token: alice.token })).body.title,
    ).toBe(`v${version}`);
  });

  it('two concurrent PUTs with the same If-Match: exactly one wins', async () => {
    const { body: task } = await create(alice, alice.user.id, { title: 'Race' });
    for (let round = 1; round <= 5; round++) {
      const results = await Promise.all(
        ['a', 'b'].map((w) =>
          api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
            token: alice.token,
            body: { title: `${w}${round}` },
            headers: { 'if-match': `"${round}"` },
          }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    }
    const final = await api(t, 'GET', `/api/v1/tasks/${task.id}`, { token: alice.token });
    expect(final.body.version).toBe(6);
  });

  it('reassigns within the org; another org’s user is 404 naming user_id', async () => {
    const { body: task } = await create(alice, alice.user.id, { title: 'Hand over' });
    const moved = await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: alice.token,
      body: { user_id: bob.user.id },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.user_id).toBe(bob.user.id);
    const foreign = await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: alice.token,
      body: { user_id: outsider.user.id },
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toMatch(/user_id/);
    const outsiderPut = await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: outsider.token,
      body: { title: 'hijack' },
    });
    expect(outsiderPut.status).toBe(404);
  });

  it('delete: only the user, the creator, an admin or the operator', async () => {
    const { body: task } = await create(alice, bob.user.id, { title: 'Delete me' });
    const carol = await createUser(t, orgId);
    expect(
      (await api(t, 'DELETE', `/api/v1/tasks/${task.id}`, { token: carol.token })).status,
    ).toBe(403);
    expect(
      (await api(t, 'DELETE', `/api/v1/tasks/${task.id}`, { token: outsider.token })).status,
    ).toBe(404);
    expect(
      (await api(t, 'DELETE', `/api/v1/tasks/${task.id}`, { token: alice.token })).status,
    ).toBe(204);
    expect((await api(t, 'GET', `/api/v1/tasks/${task.id}`, { token: bob.token })).status).toBe(
      404,
    );
    for (const who of [bob, admin]) {
      const { body: x } = await create(alice, alice.user.id, { title: 'x' });
      const res = await api(t, 'DELETE', `/api/v1/tasks/${x.id}`, { token: who.token });
      expect(res.status, who === bob ? 'assignee-not-creator' : 'admin').toBe(
        who === bob ? 403 : 204,
      );
    }
    const { body: y } = await create(alice, bob.user.id, { title: 'y' });
    expect((await api(t, 'DELETE', `/api/v1/tasks/${y.id}`, { token: bob.token })).status).toBe(
      204,
    );
    const { body: v } = await create(alice, bob.user.id, { title: 'v' });
    await api(t, 'PUT', `/api/v1/tasks/${v.id}`, { token: bob.token, body: { title: 'v2' } });
    const staleDelete = await api(t, 'DELETE', `/api/v1/tasks/${v.id}`, {
      token: bob.token,
      headers: { 'if-match': '"1"' },
    });
    expect(staleDelete.status).toBe(412);
    expect(staleDelete.body.code).toBe('version_conflict');
    const freshDelete = await api(t, 'DELETE', `/api/v1/tasks/${v.id}`, {
      token: bob.token,
      headers: { 'if-match': 'W/"2"' },
    });
    expect(freshDelete.status).toBe(204);
    const { body: z } = await create(alice, bob.user.id, { title: 'z' });
    expect(
      (await api(t, 'DELETE', `/api/v1/tasks/${z.id}`, { token: t.operatorToken })).status,
    ).toBe(204);
  });

  it('keeps an activity log: who, when, which fields from/to', async () => {
    const { body: task } = await create(alice, alice.user.id, { title: 'Logged' });
    await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: bob.token,
      body: { title: 'Logged!', status: 'completed' },
    });
    await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: t.operatorToken,
      body: { user_id: bob.user.id },
    });
    const res = await api(t, 'GET', `/api/v1/tasks/${task.id}/activity`, { token: alice.token });
    expect(res.status).toBe(200);
    const log = res.body.activity;
    expect(log.map((a: { action: string }) => a.action)).toEqual(['created', 'updated', 'updated']);
    expect(log[0]).toMatchObject({ actor_id: alice.user.id, version: 1 });
    expect(log[1]).toMatchObject({
      actor_id: bob.user.id,
      actor_name: bob.user.username,
      version: 2,
      changes: {
        title: { from: 'Logged', to: 'Logged!' },
        status: { from: 'pending', to: 'completed' },
        completed_at: { from: null, to: expect.any(String) },
      },
    });
    expect(Object.keys(log[1].changes).sort()).toEqual(['completed_at', 'status', 'title']);
    expect(log[2]).toMatchObject({
      actor_id: null,
      actor_name: 'operator',
      changes: { user_id: { from: alice.user.id, to: bob.user.id } },
    });
    expect(
      (await api(t, 'GET', `/api/v1/tasks/${task.id}/activity`, { token: outsider.token })).status,
    ).toBe(404);
  });
});
