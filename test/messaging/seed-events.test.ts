import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { openWorkspace } from '../workspace/ws-client.js';
import { connect, refusal, type Frame, type TestSocket } from './socket-client.js';

/**
 * The seed's group socket sends the frames a seed client reads (`message`, `broadcast`)
 * unless `events=` asks for more (CONTRACT "Group socket (seed)").
 */
describe('group socket events= (what a seed client is sent)', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let admin: Fixture;
  const open: TestSocket[] = [];
  const join = async (f: Fixture, query: Record<string, string> = {}) => {
    const s = await connect(t, orgId, 'general', f.token, { query });
    open.push(s);
    return s;
  };
  const types = (s: TestSocket) => s.frames.map((f) => f.type);
  const taskEvent = (id: string) =>
    t.app.events.toUser(orgId, alice.user.id, { type: 'task.created', id, task: { title: id } });
  /** A message sent now; every frame handed to a socket before it arrives before it. */
  const marker = async (s: TestSocket, content: string) => {
    const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups/general/broadcast`, {
      token: bob.token,
      body: { content },
    });
    expect(r.status).toBe(200);
    return s.next((f) => f.type === 'message' && f['content'] === content);
  };

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId, { username: 'alice' });
    bob = await createUser(t, orgId, { username: 'bob' });
    admin = await createUser(t, orgId, { role: 'admin' });
    const g = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'general', name: 'General' },
    });
    expect(g.status).toBe(201);
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('by default sends only message and broadcast frames, broadcasts with group_id and client_id', async () => {
    const plain = await join(alice);
    const watcher = await join(alice, { events: 'presence,tasks' });
    // A presence.join, a task event of alice's and an org broadcast, then a message.
    await join(bob);
    await watcher.next((f) => f.type === 'presence.join' && f['user_id'] === bob.user.id);
    taskEvent('t-default');
    await watcher.next((f) => f.id === 't-default');
    const b = await api(t, 'POST', `/api/v1/orgs/${orgId}/broadcast`, {
      token: admin.token,
      body: { content: 'all hands' },
    });
    expect(b.status).toBe(200);
    await marker(plain, 'after the events');
    expect(types(plain)).toEqual(['broadcast', 'message']);
    expect(plain.frames[0]).toEqual({
      type: 'broadcast',
      id: expect.any(String),
      org_id: orgId,
      user_id: admin.user.id,
      username: admin.user.username,
      content: 'all hands',
      timestamp: expect.any(String),
      group_id: 'general',
      client_id: null,
    });
    // The opted-in socket got all of it, in the order it happened.
    await watcher.next((f) => f.type === 'message' && f['content'] === 'after the events');
    expect(types(watcher)).toEqual(['presence.join', 'task.created', 'broadcast', 'message']);
  });

  it('typing arrives only with events=typing (or all)', async () => {
    const plain = await join(bob);
    const typing = await join(bob, { events: 'typing' });
    const all = await join(bob, { events: 'all' });
    const ws = await openWorkspace(t, alice.token);
    try {
      expect(await ws.request({ type: 'subscribe', group_id: 'general' })).toMatchObject({
        type: 'subscribed',
      });
      ws.send({ type: 'typing', req: 'ty', group_id: 'general' });
      const isTyping = (f: Frame) => f.type === 'typing' && f['user_id'] === alice.user.id;
      await typing.next(isTyping);
      await all.next(isTyping);
      await marker(plain, 'after typing');
      expect(plain.frames.some((f) => f.type === 'typing')).toBe(false);
      expect(typing.frames.some((f) => f.type.startsWith('presence.'))).toBe(false);
    } finally {
      ws.ws.terminate();
    }
  });

  it('events=tasks brings task events and nothing else extra', async () => {
    const tasks = await join(alice, { events: 'tasks' });
    await join(bob); // a presence.join it must not get
    taskEvent('t-opt');
    await tasks.next((f) => f.id === 't-opt');
    await marker(tasks, 'after tasks');
    expect(types(tasks)).toEqual(['task.created', 'message']);
  });

  it('accepts every name, changes and all included, and repeats', async () => {
    const s = await join(alice, { events: 'presence,typing,tasks,changes,all,tasks' });
    await marker(s, 'names ok');
  });

  it('refuses an unknown event name with 400 naming events, before the upgrade', async () => {
    for (const events of ['bogus', 'presence,nope', 'presence,', 'PRESENCE']) {
      const r = await refusal(connect(t, orgId, 'general', alice.token, { query: { events } }));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({
        code: 'bad_request',
        error: expect.stringContaining('events'),
      });
    }
  });
});
