import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import type { Frame } from '../messaging/socket-client.js';
import { openWorkspace, type WorkspaceSocket } from './ws-client.js';

/** Sidebars follow live: a DM opened with you, a group you may now join. */
describe('workspace socket: dm.opened and group.added', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let carol: Fixture;
  const open: WorkspaceSocket[] = [];
  const ws = async (token: string) => {
    const s = await openWorkspace(t, token);
    open.push(s);
    return s;
  };
  const of = (s: WorkspaceSocket, type: string, from = 0) =>
    s.frames.slice(from).filter((f: Frame) => f.type === type);

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    carol = await createUser(t, orgId);
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('a first DM reaches both users (each sees the other), and only the first time', async () => {
    const a = await ws(alice.token);
    const aPhone = await ws(alice.token);
    const b = await ws(bob.token);
    const c = await ws(carol.token);
    const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/dms/${bob.user.id}`, {
      token: alice.token,
    });
    expect(r.status).toBe(200);
    const toBob = await b.next((f) => f.type === 'dm.opened');
    expect(toBob['dm']).toMatchObject({
      id: r.body.id,
      kind: 'dm',
      other_user: { id: alice.user.id, username: alice.user.username },
      unread_count: 0,
    });
    // The opener's other device learns of it too, as the opener sees it.
    const toAlice = await aPhone.next((f) => f.type === 'dm.opened');
    expect(toAlice['dm']).toMatchObject({ id: r.body.id, other_user: { id: bob.user.id } });
    await a.next((f) => f.type === 'dm.opened');

    // Opening it again (from either side) announces nothing new.
    const again = await api(t, 'POST', `/api/v1/orgs/${orgId}/dms/${alice.user.id}`, {
      token: bob.token,
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(r.body.id);
    // A marker after it: events reach a socket in order, so a second dm.opened would be first.
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'marker', name: 'marker' },
    });
    await b.next((f) => f.type === 'group.added' && (f['group'] as { id: string }).id === 'marker');
    expect(of(b, 'dm.opened')).toHaveLength(1);
    expect(of(c, 'dm.opened')).toHaveLength(0);
  });

  it('a public group reaches the org; a private one only its creator and the members added', async () => {
    const b = await ws(bob.token);
    const c = await ws(carol.token);
    const bFrom = b.frames.length;
    const cFrom = c.frames.length;
    const pub = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'lounge', name: 'Lounge' },
    });
    expect(pub.status).toBe(201);
    const added = await c.next(
      (f) => f.type === 'group.added' && (f['group'] as { id: string }).id === 'lounge',
      cFrom,
    );
    // The create answer carries the seed's group_id / status / message beside the resource;
    // the event carries the resource alone.
    const {
      group_id: _gid,
      status: _status,
      message: _message,
      ...resource
    } = pub.body as Record<string, unknown>;
    expect(added['group']).toEqual(resource);

    const priv = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'hideout', name: 'Hideout', private: true },
    });
    expect(priv.status).toBe(201);
    const put = await api(t, 'PUT', `/api/v1/orgs/${orgId}/groups/hideout/members/${bob.user.id}`, {
      token: alice.token,
    });
    expect(put.status).toBe(204);
    await b.next(
      (f) => f.type === 'group.added' && (f['group'] as { id: string }).id === 'hideout',
      bFrom,
    );
    // Adding a member twice announces once.
    const twice = await api(
      t,
      'PUT',
      `/api/v1/orgs/${orgId}/groups/hideout/members/${bob.user.id}`,
      {
        token: alice.token,
      },
    );
    expect(twice.status).toBe(204);
    const done = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'marker2', name: 'marker2' },
    });
    expect(done.status).toBe(201);
    for (const s of [b, c])
      await s.next(
        (f) => f.type === 'group.added' && (f['group'] as { id: string }).id === 'marker2',
      );
    const hideout = (s: WorkspaceSocket, from: number) =>
      of(s, 'group.added', from).filter((f) => (f['group'] as { id: string }).id === 'hideout');
    expect(hideout(b, bFrom)).toHaveLength(1);
    // Carol may not join it and is not told it exists.
    expect(hideout(c, cFrom)).toHaveLength(0);
  });
});
