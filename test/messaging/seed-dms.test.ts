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
import { openSocket, refusal, TestSocket, type Frame } from './socket-client.js';

/** The Go server's DM routes and socket (CONTRACT "Seed direct messages"). */
describe('seed direct messages', () => {
  let t: TestApp;
  let orgId: string;
  let otherOrg: string;
  let alice: Fixture;
  let bob: Fixture;
  let carol: Fixture;
  let admin: Fixture;
  let stranger: Fixture;
  const open: TestSocket[] = [];

  const dmSocket = async (f: Fixture, path = `/ws/dm/${f.user.id}`, token = f.token) => {
    const s = await openSocket(`${t.wsUrl}${path}`, token, (ws) => new TestSocket(ws));
    open.push(s);
    return s;
  };
  const send = (by: Fixture, from: string, to: string, body: Record<string, unknown>) =>
    api(t, 'POST', `/api/v1/dm/${from}/${to}`, { token: by.token, body });
  const history = (by: Fixture, a: string, b: string, query = '') =>
    api<Array<Record<string, unknown>>>(t, 'GET', `/api/v1/dm/${a}/${b}/history${query}`, {
      token: by.token,
    });
  const dmOf = (content: string) => (f: Frame) => f['content'] === content;

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    otherOrg = (await createOrg(t)).id;
    alice = await createUser(t, orgId, { username: 'alice' });
    bob = await createUser(t, orgId, { username: 'bob' });
    carol = await createUser(t, orgId, { username: 'carol' });
    admin = await createUser(t, orgId, { role: 'admin' });
    stranger = await createUser(t, otherOrg, { username: 'alice' });
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('stores a DM for an offline recipient: it is in both doors’ history', async () => {
    const r = await send(alice, alice.user.id, bob.user.id, {
      content: 'are you there?',
      client_msg_id: 'offline-1',
    });
    expect(r.status).toBe(200);
    const body = r.body as { status: string; message: Record<string, unknown> };
    expect(body.status).toBe('Direct message sent');
    expect(body.message).toMatchObject({
      type: 'message',
      id: expect.any(String),
      seq: expect.any(Number),
      org_id: orgId,
      group_id: expect.stringMatching(/^dm-/),
      user_id: alice.user.id,
      username: 'alice',
      recipient_id: bob.user.id,
      client_msg_id: 'offline-1',
      content: 'are you there?',
      timestamp: expect.any(String),
    });
    await send(alice, alice.user.id, bob.user.id, { content: 'second' });
    // Bob reads it later, from either side of the path.
    const h = await history(bob, bob.user.id, alice.user.id);
    expect(h.status).toBe(200);
    expect(h.body.map((m) => m['content'])).toEqual(['second', 'are you there?']);
    expect(h.body.every((m) => m['recipient_id'] === bob.user.id)).toBe(true);
    expect((await history(alice, alice.user.id, bob.user.id, '?limit=1')).body).toHaveLength(1);
    // The same conversation and storage as OrgHub's own DMs.
    const dms = await api<Array<{ id: string; other_user: { id: string } }>>(
      t,
      'GET',
      `/api/v1/orgs/${orgId}/dms`,
      { token: bob.token },
    );
    const dm = dms.body.find((d) => d.other_user.id === alice.user.id);
    expect(dm?.id).toBe(body.message['group_id']);
    const own = await api<{ messages: Array<{ id: string }> }>(
      t,
      'GET',
      `/api/v1/orgs/${orgId}/groups/${dm!.id}/messages`,
      { token: bob.token },
    );
    expect(own.body.messages.map((m) => m.id)).toContain(body.message['id']);
    // Never written: an empty history.
    expect((await history(carol, carol.user.id, admin.user.id)).body).toEqual([]);
  });

  it('every DM socket of both users gets each DM, the sender’s included; no one else', async () => {
    const a1 = await dmSocket(alice);
    const a2 = await dmSocket(alice, '/ws/dm?clientId=phone');
    const b1 = await dmSocket(bob);
    const b2 = await dmSocket(bob, `/ws/dm/${bob.user.id}?clientId=laptop`);
    const c = await dmSocket(carol);
    a1.send({ content: 'hi bob, from my socket', recipient_id: bob.user.id, client_msg_id: 's-1' });
    for (const s of [a1, a2, b1, b2]) {
      const f = await s.next(dmOf('hi bob, from my socket'));
      expect(f).toMatchObject({
        type: 'message',
        org_id: orgId,
        user_id: alice.user.id,
        username: 'alice',
        recipient_id: bob.user.id,
        client_id: null,
        client_msg_id: 's-1',
        group_id: expect.stringMatching(/^dm-/),
        seq: expect.any(Number),
        timestamp: expect.any(String),
      });
    }
    // Bob answers over REST: the same four sockets get it.
    await send(bob, bob.user.id, alice.user.id, { content: 'hi alice, over REST' });
    for (const s of [a1, a2, b1, b2]) {
      const f = await s.next(dmOf('hi alice, over REST'));
      expect(f).toMatchObject({ user_id: bob.user.id, recipient_id: alice.user.id });
    }
    // A DM of carol's is a marker: hers arrives, nothing of alice and bob's came before it.
    await send(admin, admin.user.id, carol.user.id, { content: 'for carol' });
    await c.next(dmOf('for carol'));
    expect(c.frames.map((f) => f['content'])).toEqual(['for carol']);
    // Alice's re-sent client_msg_id: the original again, to that socket only; nothing stored.
    const before = (await history(alice, alice.user.id, bob.user.id)).body.length;
    const from = a1.frames.length;
    a1.send({ content: 'changed', recipient_id: bob.user.id, client_msg_id: 's-1' });
    const again = await a1.next((f) => f['client_msg_id'] === 's-1', from);
    expect(again['content']).toBe('hi bob, from my socket');
    expect((await history(alice, alice.user.id, bob.user.id)).body).toHaveLength(before);
  });

  it('refuses acting as another user (403) and recipients of another org or none (404)', async () => {
    expect((await send(alice, bob.user.id, carol.user.id, { content: 'x' })).status).toBe(403);
    expect((await history(alice, bob.user.id, carol.user.id)).status).toBe(403);
    for (const to of [stranger.user.id, randomUUID(), 'not-a-uuid']) {
      const r = await send(alice, alice.user.id, to, { content: 'x' });
      expect(r.status).toBe(404);
      expect((await history(alice, alice.user.id, to)).status).toBe(404);
    }
    // A user of another org cannot reach this org's users either.
    expect((await send(stranger, stranger.user.id, alice.user.id, { content: 'x' })).status).toBe(
      404,
    );
    const self = await send(alice, alice.user.id, alice.user.id, { content: 'x' });
    expect(self.status).toBe(400);
    const bad = await send(alice, alice.user.id, bob.user.id, { content: '' });
    expect(bad.status).toBe(400);
    // The socket: only one's own; a recipient elsewhere is an error frame, the socket stays.
    const other = await refusal(
      openSocket(`${t.wsUrl}/ws/dm/${bob.user.id}`, alice.token, (ws) => new TestSocket(ws)),
    );
    expect(other.status).toBe(403);
    const none = await refusal(
      openSocket(`${t.wsUrl}/ws/dm/${alice.user.id}`, undefined, (ws) => new TestSocket(ws)),
    );
    expect(none.status).toBe(401);
    const s = await dmSocket(alice);
    s.send({ content: 'to a stranger', recipient_id: stranger.user.id, client_msg_id: 'x-1' });
    expect(await s.next((f) => f.type === 'error')).toMatchObject({
      code: 'not_found',
      client_msg_id: 'x-1',
    });
    s.send({ content: 'no recipient' });
    expect(await s.next((f) => f.type === 'error' && f['client_msg_id'] === null)).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('recipient_id'),
    });
    s.send({ type: 'ping' });
    await s.next((f) => f.type === 'pong');
  });

  it('lists the connected users of the caller’s org only', async () => {
    const s = await dmSocket(carol);
    await dmSocket(stranger);
    const r = await api<{ connected_users: string[]; count: number }>(
      t,
      'GET',
      '/api/v1/dm/connected-users',
      { token: admin.token },
    );
    expect(r.status).toBe(200);
    expect(r.body.connected_users).toContain(carol.user.id);
    expect(r.body.connected_users).not.toContain(stranger.user.id);
    expect(r.body.count).toBe(r.body.connected_users.length);
    await s.close();
    const op = await api<{ connected_users: string[] }>(
      t,
      'GET',
      `/api/v1/dm/connected-users?org_id=${otherOrg}`,
      { token: t.operatorToken },
    );
    expect(op.body.connected_users).toEqual([stranger.user.id]);
  });

  it('the operator sends on behalf of a user with org_id', async () => {
    const r = await api(t, 'POST', `/api/v1/dm/${alice.user.id}/${carol.user.id}?org_id=${orgId}`, {
      token: t.operatorToken,
      body: { content: 'from the operator' },
    });
    expect(r.status).toBe(200);
    expect((r.body as { message: Record<string, unknown> }).message).toMatchObject({
      user_id: null,
      username: 'operator',
      recipient_id: null,
    });
    const missing = await api(t, 'POST', `/api/v1/dm/${alice.user.id}/${carol.user.id}`, {
      token: t.operatorToken,
      body: { content: 'x' },
    });
    expect(missing.status).toBe(400);
  });

  it('lists the routes in OpenAPI', async () => {
    const doc = await api<{ paths: Record<string, unknown> }>(t, 'GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/dm/{userId}/{recipientId}',
        '/api/v1/dm/{userId}/{recipientId}/history',
        '/api/v1/dm/connected-users',
      ]),
    );
  });
});
