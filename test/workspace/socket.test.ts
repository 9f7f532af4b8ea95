import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect } from '../messaging/socket-client.js';
import { openWorkspace, refusedWith, type WorkspaceSocket } from './ws-client.js';

describe('workspace socket: one socket for every group', () => {
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
  const group = async (id: string, isPrivate = false, token = alice.token) => {
    const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token,
      body: { id, name: id, private: isPrivate },
    });
    expect(r.status).toBe(201);
  };
  const post = async (groupId: string, content: string, token = alice.token) => {
    const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups/${groupId}/broadcast`, {
      token,
      body: { content },
    });
    expect(r.status).toBe(200);
    return r.body.message as { seq: number };
  };

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    admin = await createUser(t, orgId, { role: 'admin' });
    await group('g1');
    await group('g2');
    await group('secret', true, admin.token);
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('refuses before the 101: no token 401, foreign Origin 403, the operator 403', async () => {
    expect(await refusedWith(openWorkspace(t, undefined))).toEqual({
      status: 401,
      code: 'unauthorized',
    });
    expect(
      await refusedWith(openWorkspace(t, alice.token, { origin: 'https://evil.example' })),
    ).toEqual({ status: 403, code: 'forbidden' });
    expect((await refusedWith(openWorkspace(t, t.operatorToken))).status).toBe(403);
  });

  it('subscribes to two groups and gets both live streams, with req on every reply', async () => {
    const a = await ws(alice.token);
    const b = await ws(bob.token);
    for (const g of ['g1', 'g2']) {
      const r = await a.request({ type: 'subscribe', group_id: g });
      expect(r).toMatchObject({ type: 'subscribed', group_id: g, last_seq: 0, recovered: true });
      await b.request({ type: 'subscribe', group_id: g });
    }
    const reply = await b.request({ type: 'publish', group_id: 'g1', content: 'hi g1' });
    expect(reply).toMatchObject({ type: 'message', group_id: 'g1', seq: 1, content: 'hi g1' });
    await b.request({ type: 'publish', group_id: 'g2', content: 'hi g2', client_msg_id: 'k1' });
    await a.until(() => a.messages().length === 2);
    expect(a.messages().map((m) => [m['group_id'], m.seq, m.content])).toEqual([
      ['g1', 1, 'hi g1'],
      ['g2', 1, 'hi g2'],
    ]);
    // The sender got each message once: its reply is the event itself, in its seq position.
    expect(b.messages().map((m) => [m['group_id'], m.seq])).toEqual([
      ['g1', 1],
      ['g2', 1],
    ]);
    // A repeated client_msg_id stores nothing and answers with the original.
    const dup = await b.request({
      type: 'publish',
      group_id: 'g2',
      content: 'x',
      client_msg_id: 'k1',
    });
    expect(dup).toMatchObject({ type: 'message', seq: 1, content: 'hi g2' });
    const un = await a.request({ type: 'unsubscribe', group_id: 'g2' });
    expect(un).toMatchObject({ type: 'unsubscribed', group_id: 'g2' });
    await b.request({ type: 'publish', group_id: 'g2', content: 'after' });
    await b.request({ type: 'publish', group_id: 'g1', content: 'still here' });
    await a.until(() => a.groupMessages('g1').length === 2);
    expect(a.groupMessages('g2').map((m) => m.seq)).toEqual([1]);
  });

  it('resumes from since_seq: replay then live, no gap, no duplicate', async () => {
    await group('resume');
    for (let i = 1; i <= 5; i++) await post('resume', `m${i}`);
    const a = await ws(alice.token);
    const sub = await a.request({ type: 'subscribe', group_id: 'resume', since_seq: 2 });
    expect(sub).toMatchObject({ last_seq: 5, recovered: true });
    await post('resume', 'm6');
    await a.until(() => a.groupMessages('resume').length === 4);
    expect(a.groupMessages('resume').map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    // The reply comes before the replay.
    const subAt = a.frames.indexOf(sub);
    expect(a.frames.findIndex((f) => f.type === 'message')).toBeGreaterThan(subAt);
  });

  it('says recovered: false when the gap is beyond retention', async () => {
    await group('purged');
    for (let i = 1; i <= 4; i++) await post('purged', `m${i}`);
    // What the retention purge does to old messages.
    await t.app.database.db.execute(
      sql`delete from messages where org_id = ${orgId} and group_id = 'purged' and seq <= 2`,
    );
    const a = await ws(alice.token);
    const sub = await a.request({ type: 'subscribe', group_id: 'purged', since_seq: 1 });
    expect(sub).toMatchObject({ last_seq: 4, recovered: false });
    await a.until(() => a.groupMessages('purged').length === 2);
    expect(a.groupMessages('purged').map((m) => m.seq)).toEqual([3, 4]);
  });

  it('pages history and answers ping', async () => {
    await group('hist');
    for (let i = 1; i <= 5; i++) await post('hist', `h${i}`);
    const a = await ws(alice.token);
    const h = await a.request({ type: 'history', group_id: 'hist', before_seq: 5, limit: 2 });
    expect(h.type).toBe('history');
    expect((h['messages'] as Array<{ seq: number }>).map((m) => m.seq).sort()).toEqual([3, 4]);
    expect(await a.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('answers errors with req and the field; never closes for a bad frame', async () => {
    const a = await ws(alice.token);
    const nf = await a.request({ type: 'subscribe', group_id: 'nope' });
    expect(nf).toMatchObject({ type: 'error', code: 'not_found', group_id: 'nope' });
    // A private group of others is not found either (its existence is not disclosed).
    expect(await a.request({ type: 'subscribe', group_id: 'secret' })).toMatchObject({
      code: 'not_found',
    });
    expect(await a.request({ type: 'publish', group_id: 'secret', content: 'x' })).toMatchObject({
      code: 'not_found',
    });
    const missing = await a.request({ type: 'publish', group_id: 'g1' });
    expect(missing).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(String(missing['message'])).toContain('content');
    const extra = await a.request({ type: 'subscribe', group_id: 'g1', org_id: 'other' });
    expect(String(extra['message'])).toContain('org_id');
    const empty = await a.request({ type: 'publish', group_id: 'g1', content: '  ' });
    expect(empty).toMatchObject({ code: 'bad_request' });
    const n = a.frames.length;
    a.send('not json');
    a.send({ type: 'launch', req: 'x' });
    await a.until((f) => f.length === n + 2);
    expect(a.frames.slice(n).map((f) => [f.type, f['req'], f['code']])).toEqual([
      ['error', null, 'bad_request'],
      ['error', 'x', 'bad_request'],
    ]);
    expect(await a.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('delivers an org broadcast once per socket, whatever it is subscribed to', async () => {
    const a = await ws(alice.token);
    await a.request({ type: 'subscribe', group_id: 'g1' });
    await a.request({ type: 'subscribe', group_id: 'g2' });
    const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/broadcast`, {
      token: admin.token,
      body: { content: 'all hands' },
    });
    expect(r.status).toBe(200);
    await a.next((f) => f.type === 'broadcast');
    // A marker after it: anything duplicated would have arrived before this reply.
    await a.request({ type: 'ping' });
    expect(a.frames.filter((f) => f.type === 'broadcast')).toHaveLength(1);
  });

  it('a subscription is presence in the group: join and leave reach the other subscribers', async () => {
    await group('lobby');
    const a = await ws(alice.token);
    await a.request({ type: 'subscribe', group_id: 'lobby' });
    const b = await ws(bob.token);
    await b.request({ type: 'subscribe', group_id: 'lobby' });
    const join = await a.next((f) => f.type === 'presence.join' && f['user_id'] === bob.user.id);
    expect(join).toMatchObject({ group_id: 'lobby', username: bob.user.username });
    await b.request({ type: 'unsubscribe', group_id: 'lobby' });
    await a.next((f) => f.type === 'presence.leave' && f['user_id'] === bob.user.id);
    const list = await api(t, 'GET', `/api/v1/orgs/${orgId}/groups/lobby/presence`, {
      token: alice.token,
    });
    expect(list.status).toBe(200);
    expect((list.body as Array<{ user_id: string }>).map((u) => u.user_id)).toEqual([
      alice.user.id,
    ]);
  });

  it('shares the stream with the group socket, which keeps working', async () => {
    const a = await ws(alice.token);
    await a.request({ type: 'subscribe', group_id: 'g1' });
    const g = await connect(t, orgId, 'g1', bob.token);
    g.send({ content: 'from the group socket' });
    const m = await a.next((f) => f.type === 'message' && f['content'] === 'from the group socket');
    expect(m['group_id']).toBe('g1');
    await g.close();
  });
});
