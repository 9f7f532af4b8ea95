import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect, type Frame, type TestSocket } from '../messaging/socket-client.js';
import { createReminderScheduler } from '../../src/modules/tasks/reminder-scheduler.js';
import { pendingReminderRows } from '../../src/modules/tasks/tasks.repo.js';
import type { ServerEvent } from '../../src/realtime/events.js';
import { pollUntil } from '../helpers/wait.js';

const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
const isTask = (type: string, id: string) => (f: Frame) =>
  f.type === type && (f['task'] as { id: string }).id === id;

describe('live task events and reminders', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let aliceWs: TestSocket;
  let bobWs: TestSocket;
  let strangerWs: TestSocket;
  let carol: Fixture;
  let adminUser: Fixture;
  let carolWs: TestSocket;
  let adminWs: TestSocket;

  beforeAll(async () => {
    t = await startApp({ reminderIntervalMs: 100 });
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    const group = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'general', name: 'General' },
    });
    expect(group.status).toBe(201);
    // The browser form: the token in the query string.
    aliceWs = await connect(t, orgId, 'general', undefined, {
      query: { access_token: alice.token, events: 'tasks' },
    });
    bobWs = await connect(t, orgId, 'general', bob.token, { query: { events: 'tasks' } });
    carol = await createUser(t, orgId);
    adminUser = await createUser(t, orgId, { role: 'admin' });
    carolWs = await connect(t, orgId, 'general', carol.token, { query: { events: 'tasks' } });
    adminWs = await connect(t, orgId, 'general', adminUser.token, { query: { events: 'tasks' } });
    const otherOrg = (await createOrg(t)).id;
    const stranger = await createUser(t, otherOrg);
    const lobby = await api(t, 'POST', `/api/v1/orgs/${otherOrg}/groups`, {
      token: stranger.token,
      body: { id: 'general', name: 'General' },
    });
    expect(lobby.status).toBe(201);
    strangerWs = await connect(t, otherOrg, 'general', stranger.token, {
      query: { events: 'tasks' },
    });
  });
  afterAll(async () => {
    aliceWs?.ws.terminate();
    bobWs?.ws.terminate();
    strangerWs?.ws.terminate();
    carolWs?.ws.terminate();
    adminWs?.ws.terminate();
    await t.close();
  });

  const createTask = async (owner: Fixture, body: Record<string, unknown>, by = owner) => {
    const res = await api(t, 'POST', `/api/v1/users/${owner.user.id}/tasks`, {
      token: by.token,
      body,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  };

  it("created, updated (reassigned too) and deleted reach the task's user (and the previous one), once", async () => {
    const aFrom = aliceWs.frames.length;
    const bFrom = bobWs.frames.length;
    const cFrom = carolWs.frames.length;
    const adFrom = adminWs.frames.length;
    const task = await createTask(alice, { title: 'Live one' }, bob);
    const created = await aliceWs.next(isTask('task.created', task.id), aFrom);
    expect(created).toMatchObject({
      id: expect.any(String),
      task: { title: 'Live one', version: 1 },
    });

    await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: alice.token,
      body: { user_id: bob.user.id },
    });
    const toOld = await aliceWs.next(isTask('task.updated', task.id), aFrom);
    const toNew = await bobWs.next(isTask('task.updated', task.id), bFrom);
    expect(toOld['task']).toMatchObject({ user_id: bob.user.id, version: 2 });
    expect(toNew['id']).toBe(toOld['id']);

    await api(t, 'DELETE', `/api/v1/tasks/${task.id}`, { token: bob.token });
    await bobWs.next(isTask('task.deleted', task.id), bFrom);
    // Bob created it for alice but was not its user then: he got no task.created.
    expect(bobWs.frames.slice(bFrom).filter(isTask('task.created', task.id))).toHaveLength(0);
    for (const [ws, from] of [
      [aliceWs, aFrom],
      [bobWs, bFrom],
    ] as const) {
      const ids = ws.frames.slice(from).map((f) => f['id']);
      expect(new Set(ids).size).toBe(ids.length);
    }
    // Another member and an admin of the org, and anyone outside it, hear nothing of it: each
    // gets a task of their own afterwards, and nothing of this task before (or after) it.
    for (const [who, ws, from] of [
      [carol, carolWs, cFrom],
      [adminUser, adminWs, adFrom],
    ] as const) {
      const mine = await createTask(who, { title: 'marker' });
      await ws.next(isTask('task.created', mine.id), from);
      const about = ws.frames
        .slice(from)
        .filter((f) => (f['task'] as { id?: string })?.id === task.id);
      expect(about).toEqual([]);
    }
    expect(strangerWs.frames.some((f) => String(f.type).startsWith('task.'))).toBe(false);
  });

  it('a reminder reaches the socket once and is stored as a notification to read', async () => {
    const from = aliceWs.frames.length;
    const task = await createTask(alice, { title: 'Remind me', reminders: [{ at: soon(300) }] });
    const frame = await aliceWs.next(isTask('task.reminder', task.id), from);
    expect(frame['reminder']).toEqual({ at: expect.any(String) });

    const list = await api(t, 'GET', '/api/v1/notifications?unread=true', { token: alice.token });
    expect(list.status).toBe(200);
    const n = list.body.notifications.find((x: { task_id: string }) => x.task_id === task.id);
    expect(n).toMatchObject({ id: frame['id'], type: 'task.reminder', read_at: null });
    const read = await api(t, 'POST', `/api/v1/notifications/${n.id}/read`, { token: alice.token });
    expect(read.status).toBe(200);
    expect(read.body.read_at).toEqual(expect.any(String));
    const unread = await api(t, 'GET', '/api/v1/notifications?unread=true', { token: alice.token });
    expect(unread.body.notifications.some((x: { id: string }) => x.id === n.id)).toBe(false);
    const all = await api(t, 'GET', '/api/v1/notifications', { token: alice.token });
    expect(all.body.notifications.some((x: { id: string }) => x.id === n.id)).toBe(true);
    expect(
      (await api(t, 'POST', `/api/v1/notifications/${n.id}/read`, { token: bob.token })).status,
    ).toBe(404);
    expect(
      (await api(t, 'POST', '/api/v1/notifications/nope/read', { token: bob.token })).status,
    ).toBe(404);
    expect(
      (await api(t, 'GET', '/api/v1/notifications?limit=0', { token: bob.token })).status,
    ).toBe(400);
    // Sent once: a later reminder of another task arrives, and this one did not come again.
    const later = await createTask(alice, { title: 'Marker', reminders: [{ at: soon(0) }] });
    await aliceWs.next(isTask('task.reminder', later.id), from);
    expect(aliceWs.frames.slice(from).filter(isTask('task.reminder', task.id))).toHaveLength(1);
  });

  it('never reminds about a completed or cancelled task', async () => {
    const from = aliceWs.frames.length;
    const done = await createTask(alice, {
      title: 'Already done',
      status: 'completed',
      reminders: [{ at: soon(-2000) }],
    });
    // Cancelled after its reminder was set, before it comes due.
    const cancelled = await createTask(alice, {
      title: 'Dropped',
      reminders: [{ at: soon(1500) }],
    });
    const put = await api(t, 'PUT', `/api/v1/tasks/${cancelled.id}`, {
      token: alice.token,
      body: { status: 'cancelled' },
    });
    expect(put.status).toBe(200);
    // Rows are claimed in fire_at order, so once this later one arrives the earlier ones were handled.
    const marker = await createTask(alice, { title: 'Marker 2', reminders: [{ at: soon(2000) }] });
    await aliceWs.next(isTask('task.reminder', marker.id), from);
    const got = aliceWs.frames.slice(from).filter((f) => f.type === 'task.reminder');
    expect(got.map((f) => (f['task'] as { id: string }).id)).toEqual([marker.id]);
    expect(await pendingReminderRows(t.app.database.db, orgId, done.id)).toHaveLength(0);
  });

  it('relative reminders follow the due date and disappear without one', async () => {
    const db = t.app.database.db;
    const due = new Date(Date.now() + 86_400_000);
    const task = await createTask(alice, {
      title: 'Relative',
      due_date: due.toISOString(),
      reminders: [{ before_due_minutes: 30 }, { at: soon(7_200_000) }],
    });
    let rows = await pendingReminderRows(db, orgId, task.id);
    expect(rows.map((r) => r.fireAt.getTime())).toEqual([
      due.getTime() - 30 * 60_000,
      expect.any(Number),
    ]);
    const absoluteId = rows[1]!.id;
    const due2 = new Date(due.getTime() + 3_600_000);
    await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: alice.token,
      body: { due_date: due2.toISOString() },
    });
    rows = await pendingReminderRows(db, orgId, task.id);
    expect(rows[0]!.fireAt.getTime()).toBe(due2.getTime() - 30 * 60_000);
    expect(rows[1]!.id).toBe(absoluteId);
    await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: alice.token,
      body: { due_date: null },
    });
    rows = await pendingReminderRows(db, orgId, task.id);
    expect(rows.map((r) => r.id)).toEqual([absoluteId]);
    await api(t, 'PUT', `/api/v1/tasks/${task.id}`, {
      token: alice.token,
      body: { reminders: [] },
    });
    expect(await pendingReminderRows(db, orgId, task.id)).toHaveLength(0);
  });

  it('two concurrent scheduler runs claim each due reminder exactly once', async () => {
    const db = t.app.database.db;
    const sent: ServerEvent[] = [];
    const sink = {
      toUser: (_o: string, _u: string, e: ServerEvent) => void sent.push(e),
      toOrg: () => {},
    };
    const a = createReminderScheduler({ db, events: sink, intervalMs: 60_000 });
    const b = createReminderScheduler({ db, events: sink, intervalMs: 60_000 });
    const ids: string[] = [];
    for (let i = 0; i < 15; i++)
      ids.push(
        (await createTask(bob, { title: `Burst ${i}`, reminders: [{ at: soon(-500) }] })).id,
      );
    // Three claimers race: these two and the app's own timer.
    await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    const notifications = await pollUntil(
      async () =>
        (await api(t, 'GET', '/api/v1/notifications?limit=200', { token: bob.token })).body
          .notifications as Array<{ task_id: string }>,
      (ns) => ids.every((id) => ns.some((n) => n.task_id === id)),
    );
    for (const id of ids) expect(notifications.filter((n) => n.task_id === id)).toHaveLength(1);
    const mine = sent.map((e) => (e['task'] as { id: string }).id).filter((id) => ids.includes(id));
    expect(new Set(mine).size).toBe(mine.length);
  });
});
