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

const presenceOf = (s: TestSocket) => s.frames.filter((f) => f.type.startsWith('presence.'));
const isPresence = (type: string, user: Fixture) => (f: Frame) =>
  f.type === type && f['user_id'] === user.user.id;

describe('presence on group sockets', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let carol: Fixture;
  let admin: Fixture;
  let stranger: Fixture;
  const open: TestSocket[] = [];
  const join = async (f: Fixture, groupId = 'general') => {
    const s = await connect(t, orgId, groupId, f.token, { query: { events: 'presence' } });
    open.push(s);
    return s;
  };
  const list = (f: Fixture | string, groupId = 'general', org = orgId) =>
    api(t, 'GET', `/api/v1/orgs/${org}/groups/${groupId}/presence`, {
      token: typeof f === 'string' ? f : f.token,
    });

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId, { username: 'alice' });
    bob = await createUser(t, orgId, { username: 'bob' });
    carol = await createUser(t, orgId, { username: 'carol' });
    admin = await createUser(t, orgId, { role: 'admin', username: 'admin' });
    stranger = await createUser(t, (await createOrg(t)).id);
    for (const [id, priv] of [
      ['general', false],
      ['secret', true],
    ] as const) {
      const res = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: alice.token,
        body: { id, name: id, private: priv },
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('announces a user’s first socket and last close only, over several devices', async () => {
    const watcher = await join(bob);
    const a1 = await join(alice);
    const joined = await watcher.next(isPresence('presence.join', alice));
    expect(joined).toEqual({
      type: 'presence.join',
      id: expect.any(String),
      org_id: orgId,
      group_id: 'general',
      user_id: alice.user.id,
      username: 'alice',
    });
    const a2 = await join(alice);
    // Carol's join is announced after Alice's second socket opened: had that socket been
    // announced too, its event would be in front of Carol's.
    const c1 = await join(carol);
    await watcher.next(isPresence('presence.join', carol));
    expect(presenceOf(watcher).filter((f) => f['user_id'] === alice.user.id)).toHaveLength(1);

    const listed = await list(bob);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      { user_id: alice.user.id, username: 'alice' },
      { user_id: bob.user.id, username: 'bob' },
      { user_id: carol.user.id, username: 'carol' },
    ]);

    await a1.close();
    await c1.close();
    await watcher.next(isPresence('presence.leave', carol));
    expect(presenceOf(watcher).some(isPresence('presence.leave', alice))).toBe(false);
    expect((await list(bob)).body).toEqual([
      { user_id: alice.user.id, username: 'alice' },
      { user_id: bob.user.id, username: 'bob' },
    ]);

    await a2.close();
    const left = await watcher.next(isPresence('presence.leave', alice));
    expect(left).toMatchObject({ type: 'presence.leave', username: 'alice', group_id: 'general' });
    expect((await list(bob)).body).toEqual([{ user_id: bob.user.id, username: 'bob' }]);
    await watcher.close();
  });

  it('sends presence events only to the sockets of that group', async () => {
    const inSecret = await join(alice, 'secret');
    const inGeneral = await join(bob);
    await join(admin, 'secret');
    await inSecret.next(isPresence('presence.join', admin));
    // Bob joined general after alice's socket on secret: a marker for "everything so far".
    const marker = await join(carol);
    await inGeneral.next(isPresence('presence.join', carol));
    expect(presenceOf(inGeneral).some(isPresence('presence.join', admin))).toBe(false);
    await marker.close();
  });

  it('answers GET …/presence to anyone who may join the group, 404 otherwise', async () => {
    expect((await list(admin, 'secret')).status).toBe(200);
    expect((await list(t.operatorToken, 'secret')).status).toBe(200);
    expect((await list(alice, 'secret')).body).toEqual(
      expect.arrayContaining([{ user_id: alice.user.id, username: 'alice' }]),
    );
    for (const [who, group, org] of [
      [bob, 'secret', orgId],
      [stranger, 'general', orgId],
      [bob, 'nope', orgId],
      [bob, 'bad%20id', orgId],
      [bob, 'general', 'other-org'],
    ] as const) {
      const res = await list(who, group, org);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: expect.any(String), code: 'not_found' });
    }
    expect((await api(t, 'GET', `/api/v1/orgs/${orgId}/groups/general/presence`)).status).toBe(401);
  });
});
