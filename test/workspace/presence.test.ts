import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { openWorkspace, type WorkspaceSocket } from './ws-client.js';

describe('workspace socket: the presence frame', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  const open: WorkspaceSocket[] = [];
  const ws = async (token: string) => {
    const s = await openWorkspace(t, token);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    const admin = await createUser(t, orgId, { role: 'admin' });
    for (const [id, priv] of [
      ['lobby', false],
      ['secret', true],
    ] as const) {
      const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: admin.token,
        body: { id, name: id, private: priv },
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('lists who is subscribed to the group now, and follows joins and leaves', async () => {
    const a = await ws(alice.token);
    const b = await ws(bob.token);
    expect(await a.request({ type: 'presence', group_id: 'lobby' })).toEqual({
      type: 'presence',
      req: expect.any(String),
      group_id: 'lobby',
      users: [],
    });
    await a.request({ type: 'subscribe', group_id: 'lobby' });
    await b.request({ type: 'subscribe', group_id: 'lobby' });
    await a.next((f) => f.type === 'presence.join' && f['user_id'] === bob.user.id);
    const now = await a.request({ type: 'presence', group_id: 'lobby' });
    const users = now['users'] as Array<{ user_id: string; username: string }>;
    expect(users.map((u) => u.user_id).sort()).toEqual([alice.user.id, bob.user.id].sort());
    expect(users.map((u) => u.username)).toEqual([alice.user.username, bob.user.username].sort());

    await b.request({ type: 'unsubscribe', group_id: 'lobby' });
    await a.next((f) => f.type === 'presence.leave' && f['user_id'] === bob.user.id);
    const after = await a.request({ type: 'presence', group_id: 'lobby' });
    expect(after['users']).toEqual([{ user_id: alice.user.id, username: alice.user.username }]);
  });

  it('answers not_found for a private group the user is not in, and names a bad field', async () => {
    const a = await ws(alice.token);
    expect(await a.request({ type: 'presence', group_id: 'secret' })).toMatchObject({
      type: 'error',
      code: 'not_found',
    });
    const bad = await a.request({ type: 'presence' });
    expect(bad).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(String(bad['message'])).toContain('group_id');
  });
});
