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

interface GroupItem {
  id: string;
  last_seq: number;
  last_read_seq: number;
  unread_count: number;
}
interface DmItem extends Omit<GroupItem, 'id'> {
  id: string;
  kind: string;
  other_user: { id: string; username: string };
}

describe('read cursors, unread counts and direct messages', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let admin: Fixture;
  const open: WorkspaceSocket[] = [];
  const ws = async (token: string) => {
    const s = await openWorkspace(t, token);
    open.push(s);
    return s;
  };
  const post = (groupId: string, content: string, token = bob.token) =>
    api(t, 'POST', `/api/v1/orgs/${orgId}/groups/${groupId}/broadcast`, {
      token,
      body: { content },
    });
  const read = (groupId: string, seq: unknown, token = alice.token) =>
    api(t, 'PUT', `/api/v1/orgs/${orgId}/groups/${groupId}/read`, { token, body: { seq } });
  const groupsOf = async (token: string) =>
    (await api<GroupItem[]>(t, 'GET', `/api/v1/orgs/${orgId}/groups`, { token })).body;
  const dm = (userId: string, token = alice.token, org = orgId) =>
    api<DmItem>(t, 'POST', `/api/v1/orgs/${org}/dms/${userId}`, { token });

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    admin = await createUser(t, orgId, { role: 'admin' });
    for (const id of ['r1', 'r2']) {
      const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: alice.token,
        body: { id, name: id },
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('counts unread per group for the caller; the cursor never moves back and is clamped', async () => {
    for (let i = 0; i < 4; i++) expect((await post('r1', `m${i}`)).status).toBe(200);
    await post('r2', 'one');
    const before = await groupsOf(alice.token);
    expect(before.find((g) => g.id === 'r1')).toMatchObject({
      last_seq: 4,
      last_read_seq: 0,
      unread_count: 4,
    });
    expect(await read('r1', 3)).toMatchObject({
      status: 200,
      body: { group_id: 'r1', last_read_seq: 3, last_seq: 4, unread_count: 1 },
    });
    expect((await read('r1', 1)).body).toMatchObject({ last_read_seq: 3 });
    expect((await read('r1', 99)).body).toMatchObject({ last_read_seq: 4, unread_count: 0 });
    const after = await groupsOf(alice.token);
    expect(after.find((g) => g.id === 'r1')).toMatchObject({ unread_count: 0 });
    expect(after.find((g) => g.id === 'r2')).toMatchObject({ unread_count: 1 });
    // Cursors are per user: bob's are untouched.
    expect((await groupsOf(bob.token)).find((g) => g.id === 'r1')).toMatchObject({
      unread_count: 4,
    });
  });

  it('validates the cursor body and hides groups the caller may not join', async () => {
    expect((await read('r1', -1)).status).toBe(400);
    expect((await read('r1', 'x')).status).toBe(400);
    expect((await read('nope', 1)).status).toBe(404);
    const other = await createOrg(t);
    const stranger = await createUser(t, other.id);
    expect((await read('r1', 1, stranger.token)).status).toBe(404);
  });

  it('a cursor moved on one device reaches the user’s other sockets', async () => {
    const phone = await ws(alice.token);
    const laptop = await ws(alice.token);
    await post('r2', 'two');
    const reply = await phone.request({ type: 'read', group_id: 'r2', seq: 2 });
    expect(reply).toMatchObject({ type: 'read', group_id: 'r2', seq: 2, unread_count: 0 });
    const ev = await laptop.next((f) => f.type === 'read' && f['group_id'] === 'r2');
    expect(ev).toMatchObject({ seq: 2 });
    expect(typeof ev['id']).toBe('string');
    // Over REST too: both sockets hear of it; the phone heard its own change only as the reply.
    await post('r2', 'three');
    expect((await read('r2', 3)).status).toBe(200);
    await phone.next((f) => f.type === 'read' && f['seq'] === 3 && f['req'] === undefined);
    await laptop.next((f) => f.type === 'read' && f['seq'] === 3);
    await phone.request({ type: 'ping' });
    expect(phone.frames.filter((f) => f.type === 'read' && f['seq'] === 2)).toHaveLength(1);
  });

  it('creates a DM once, even when both users open it at the same time', async () => {
    const [a, b] = await Promise.all([dm(bob.user.id), dm(alice.user.id, bob.token)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.id).toBe(b.body.id);
    expect(a.body).toMatchObject({ kind: 'dm', other_user: { id: bob.user.id }, unread_count: 0 });
    expect(b.body.other_user.id).toBe(alice.user.id);
    expect((await dm(bob.user.id)).body.id).toBe(a.body.id);
    const list = await api<DmItem[]>(t, 'GET', `/api/v1/orgs/${orgId}/dms`, { token: alice.token });
    expect(list.body.map((d) => d.id)).toEqual([a.body.id]);
    // DMs are not groups in the group list.
    expect((await groupsOf(alice.token)).some((g) => g.id === a.body.id)).toBe(false);
  });

  it('refuses a DM with yourself (400), another org’s user or no user (404)', async () => {
    expect((await dm(alice.user.id)).status).toBe(400);
    const other = await createOrg(t);
    const stranger = await createUser(t, other.id);
    expect((await dm(stranger.user.id)).status).toBe(404);
    expect((await dm('not-a-uuid')).status).toBe(404);
    expect((await dm(alice.user.id, stranger.token)).status).toBe(404);
    expect((await dm(bob.user.id, alice.token, other.id)).status).toBe(404);
  });

  it('a DM works as a group: live delivery, resume, history, unread; only its two members', async () => {
    const carol = await createUser(t, orgId);
    const id = (await dm(carol.user.id)).body.id;
    const a = await ws(alice.token);
    const c = await ws(carol.token);
    expect(await a.request({ type: 'subscribe', group_id: id })).toMatchObject({ recovered: true });
    const sent = await c.request({ type: 'publish', group_id: id, content: 'psst' });
    expect(sent).toMatchObject({ type: 'message', group_id: id, seq: 1 });
    await a.next((f) => f.type === 'message' && f['content'] === 'psst');
    await c.request({ type: 'publish', group_id: id, content: 'again' });
    const dms = await api<DmItem[]>(t, 'GET', `/api/v1/orgs/${orgId}/dms`, { token: alice.token });
    expect(dms.body.find((d) => d.id === id)).toMatchObject({
      last_seq: 2,
      unread_count: 2,
      other_user: { id: carol.user.id, username: carol.user.username },
    });
    const later = await ws(alice.token);
    await later.request({ type: 'subscribe', group_id: id, since_seq: 1 });
    await later.until(() => later.groupMessages(id).length === 1);
    expect(later.groupMessages(id)[0]).toMatchObject({ seq: 2, content: 'again' });
    const h = await later.request({ type: 'history', group_id: id });
    expect((h['messages'] as unknown[]).length).toBe(2);
    // Neither another member nor an admin can open someone else's DM.
    for (const token of [bob.token, admin.token]) {
      const s = await ws(token);
      expect(await s.request({ type: 'subscribe', group_id: id })).toMatchObject({
        code: 'not_found',
      });
      expect((await post(id, 'intrude', token)).status).toBe(404);
    }
  });
});
