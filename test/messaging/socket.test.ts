import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect, refusal, type MessageFrame, type TestSocket } from './socket-client.js';

const seqsOf = (s: TestSocket) => s.messages().map((m) => m.seq);
const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

describe('group socket', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let admin: Fixture;
  let stranger: Fixture;
  const open: TestSocket[] = [];
  const join = async (
    token: string,
    groupId = 'general',
    query: Record<string, string | number> = {},
  ) => {
    const s = await connect(t, orgId, groupId, token, { query });
    open.push(s);
    return s;
  };
  const newGroup = async (id: string, isPrivate = false) => {
    const res = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id, name: id, private: isPrivate },
    });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId, { username: 'alice' });
    bob = await createUser(t, orgId, { username: 'bob' });
    admin = await createUser(t, orgId, { role: 'admin' });
    stranger = await createUser(t, (await createOrg(t)).id);
    await newGroup('general');
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  describe('upgrade', () => {
    it('refuses a missing or bad token with 401 before the upgrade', async () => {
      const none = await refusal(connect(t, orgId, 'general', undefined));
      expect(none).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
      const bad = await refusal(connect(t, orgId, 'general', 'not-a-token'));
      expect(bad.status).toBe(401);
    });

    it('refuses unknown, foreign and private groups with 404', async () => {
      expect((await refusal(connect(t, orgId, 'nope', alice.token))).status).toBe(404);
      expect((await refusal(connect(t, orgId, 'general', stranger.token))).status).toBe(404);
      await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: bob.token,
        body: { id: 'bobs', name: 'Bob only', private: true },
      });
      const priv = await refusal(connect(t, orgId, 'bobs', alice.token));
      expect(priv).toMatchObject({
        status: 404,
        body: { code: 'not_found', error: expect.any(String) },
      });
      const ok = await join(bob.token, 'bobs');
      await ok.close();
      expect((await refusal(connect(t, orgId, 'bad%20id', alice.token))).status).toBe(404);
    });

    it('refuses a browser Origin that is not allowed with 403; same-origin passes', async () => {
      const evil = await refusal(
        connect(t, orgId, 'general', alice.token, { headers: { origin: 'https://evil.example' } }),
      );
      expect(evil).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      // DNS rebinding: the attacker's page names its own host in both Origin and Host.
      const rebound = await refusal(
        connect(t, orgId, 'general', alice.token, {
          headers: { origin: 'http://attacker.example:8080', host: 'attacker.example:8080' },
        }),
      );
      expect(rebound).toMatchObject({ status: 403, body: { code: 'forbidden' } });
      const host = new URL(t.url).host;
      const same = await join(alice.token, 'general');
      await same.close();
      const s = await connect(t, orgId, 'general', alice.token, {
        headers: { origin: `http://${host}` },
      });
      await s.close();
    });

    it('takes the token from the access_token query parameter', async () => {
      const s = await join('', 'general', { access_token: alice.token });
      s.send({ type: 'ping' });
      await s.next((f) => f.type === 'pong');
      await s.close();
    });

    it('refuses a malformed since_seq with 400', async () => {
      const r = await refusal(
        connect(t, orgId, 'general', alice.token, { query: { since_seq: 'x' } }),
      );
      expect(r).toMatchObject({
        status: 400,
        body: { code: 'bad_request', error: expect.stringMatching(/since_seq/) },
      });
    });
  });

  describe('messages', () => {
    it('stores, then delivers to everyone in the group (sender included) as the contract event', async () => {
      await newGroup('chat');
      const a = await join(alice.token, 'chat', { clientId: 'tab-1' });
      const b = await join(bob.token, 'chat');
      a.send({ content: 'Hello', client_msg_id: 'c-1', user_id: bob.user.id, username: 'bob' });
      const got = await b.next((f) => f.type === 'message');
      const echo = await a.next((f) => f.type === 'message');
      expect(echo).toEqual(got);
      expect(got).toEqual({
        type: 'message',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        seq: 1,
        org_id: orgId,
        group_id: 'chat',
        user_id: alice.user.id,
        username: 'alice',
        client_id: 'tab-1',
        client_msg_id: 'c-1',
        content: 'Hello',
        timestamp: expect.stringMatching(/Z$/),
      });
      const page = await api<{ messages: MessageFrame[] }>(
        t,
        'GET',
        `/api/v1/orgs/${orgId}/groups/chat/messages`,
        {
          token: bob.token,
        },
      );
      expect(page.body.messages).toEqual([got]);
    });

    it('a repeated client_msg_id stores nothing new; only the sender gets the original again', async () => {
      await newGroup('dupes');
      const a = await join(alice.token, 'dupes');
      const b = await join(bob.token, 'dupes');
      a.send({ content: 'one', client_msg_id: 'same' });
      await b.next((f) => f.type === 'message');
      a.send({ content: 'changed', client_msg_id: 'same' });
      a.send({ content: 'two', client_msg_id: 'other' });
      await b.until((fs) => fs.filter((f) => f.type === 'message').length === 2);
      await a.until((fs) => fs.filter((f) => f.type === 'message').length === 3);
      expect(a.messages().map((m) => [m.seq, m.content])).toEqual([
        [1, 'one'],
        [1, 'one'],
        [2, 'two'],
      ]);
      expect(b.messages().map((m) => m.content)).toEqual(['one', 'two']);
      const count = await api<{ count: number }>(
        t,
        'GET',
        `/api/v1/orgs/${orgId}/groups/dupes/messages/count`,
        {
          token: bob.token,
        },
      );
      expect(count.body.count).toBe(2);
    });

    it('answers bad frames with error frames and keeps the connection open', async () => {
      const a = await join(alice.token);
      const cases: Array<[unknown, string, string | null]> = [
        ['not json', 'bad_request', null],
        ['[1,2]', 'bad_request', null],
        [{ content: '', client_msg_id: 'e1' }, 'bad_request', 'e1'],
        [{ content: '   ' }, 'bad_request', null],
        [{ content: 42, client_msg_id: 'e2' }, 'bad_request', 'e2'],
        [{ nothing: true }, 'bad_request', null],
        [{ type: 'shout', content: 'x' }, 'bad_request', null],
        [{ content: 'x', client_msg_id: 'k'.repeat(65) }, 'bad_request', null],
        // PostgreSQL text cannot hold NUL: refused as bad input, never a storage failure.
        [{ content: 'a\u0000b', client_msg_id: 'e4' }, 'bad_request', 'e4'],
        [{ content: 'x', client_msg_id: 'n\u0000' }, 'bad_request', null],
        // Nor half a surrogate pair (a json parameter refuses it; text would replace it).
        [{ content: 'a\ud800b', client_msg_id: 'e5' }, 'bad_request', 'e5'],
        [
          { content: 'x'.repeat(t.app.config.maxMessageChars + 1), client_msg_id: 'e3' },
          'payload_too_large',
          'e3',
        ],
      ];
      for (const [frame, code, id] of cases) {
        const from = a.frames.length;
        a.send(frame);
        const err = await a.next((f) => f.type === 'error', from);
        expect(err).toEqual({
          type: 'error',
          code,
          message: expect.any(String),
          client_msg_id: id,
        });
      }
      const from = a.frames.length;
      a.ws.send(Buffer.from('{"content":"binary"}'), { binary: true });
      expect(await a.next((f) => f.type === 'error', from)).toMatchObject({ code: 'bad_request' });
      a.send({ type: 'ping' });
      await a.next((f) => f.type === 'pong', from);
      expect(a.messages()).toEqual([]);
      // Exactly the max is fine, counted in characters (code points), not UTF-16 units.
      a.send({ content: '😀'.repeat(t.app.config.maxMessageChars) });
      const ok = (await a.next((f) => f.type === 'message', from)) as MessageFrame;
      expect([...ok.content].length).toBe(t.app.config.maxMessageChars);
    });
  });

  describe('resume with since_seq', () => {
    it('replays everything after since_seq across many pages, then goes live', async () => {
      await newGroup('long');
      const db = t.app.database.db;
      // 1,234 stored messages in one statement (the route is tested elsewhere).
      await db.execute(sql`
        insert into messages (id, org_id, group_id, seq, user_id, username, content, created_at)
        select gen_random_uuid(), ${orgId}, 'long', n, ${alice.user.id}, 'alice', 'm' || n,
               now() - interval '1 hour' + n * interval '1 ms'
        from generate_series(1, 1234) as n`);
      await db.execute(
        sql`update groups set last_seq = 1234 where org_id = ${orgId} and id = 'long'`,
      );
      const b = await join(bob.token, 'long', { since_seq: 3 });
      await b.until((fs) => fs.length >= 1231, 20_000, 'the replay');
      expect(seqsOf(b)).toEqual(range(4, 1234));
      const a = await join(alice.token, 'long');
      a.send({ content: 'live' });
      await b.next((f) => f.type === 'message' && f.seq === 1235);
      expect(seqsOf(b)).toEqual(range(4, 1235));
      // Without since_seq a socket starts at the present: it gets only what comes next.
      await a.until(() => seqsOf(a).length === 1);
      expect(seqsOf(a)).toEqual([1235]);
    });

    it('has no gap and no duplicate while messages arrive during the replay', async () => {
      await newGroup('busy');
      const sender = await join(alice.token, 'busy');
      const total = 120;
      let sent = 0;
      const pump = (async () => {
        while (sent < total) {
          const id = `p-${sent++}`;
          await api(t, 'POST', `/api/v1/orgs/${orgId}/groups/busy/broadcast`, {
            token: alice.token,
            body: { content: id, client_msg_id: id },
          });
        }
      })();
      await sender.until(() => seqsOf(sender).length >= 20);
      const late = await join(bob.token, 'busy', { since_seq: 0 });
      await pump;
      await late.until(() => seqsOf(late).length >= total, 20_000, 'all messages');
      expect(seqsOf(late)).toEqual(range(1, total));
      expect(seqsOf(sender)).toEqual(range(1, total));
    });

    it('replays only what is still within retention', async () => {
      await newGroup('aged');
      const a = await join(alice.token, 'aged');
      for (let i = 1; i <= 4; i++) a.send({ content: `a${i}`, client_msg_id: `a${i}` });
      await a.until(() => seqsOf(a).length === 4);
      await t.app.database.db.execute(
        sql`update messages set created_at = now() - interval '8 days' where org_id = ${orgId} and group_id = 'aged' and seq <= 2`,
      );
      const b = await join(bob.token, 'aged', { since_seq: 0 });
      await b.until(() => seqsOf(b).length === 2);
      a.send({ content: 'a5' });
      await b.until(() => seqsOf(b).length === 3);
      expect(seqsOf(b)).toEqual([3, 4, 5]);
    });

    it('sockets joining a group this node already follows, mid-stream, see an unbroken run', async () => {
      await newGroup('stream');
      const sender = await join(alice.token, 'stream');
      // Within the socket's burst allowance (2 × WS_RATE_LIMIT).
      const total = 36;
      for (let i = 0; i < 12; i++) sender.send({ content: `s${i}` });
      await sender.until(() => seqsOf(sender).length >= 6);
      // They join while messages are being stored and delivered: from the present (no
      // since_seq), or from the seq the sender has seen so far.
      const joiners = [
        await join(bob.token, 'stream'),
        await join(bob.token, 'stream', { since_seq: seqsOf(sender).at(-1)! }),
        await join(bob.token, 'stream', { since_seq: 5 }),
      ];
      for (let i = 12; i < total; i++) sender.send({ content: `s${i}` });
      for (const j of joiners) {
        await j.until(() => seqsOf(j).at(-1) === total, 20_000, 'the last message');
        const seen = seqsOf(j);
        expect(seen).toEqual(range(seen[0]!, total));
      }
      expect(seqsOf(joiners[2]!)[0]).toBe(6);
    });

    it('a since_seq past the end starts at the end', async () => {
      await newGroup('short');
      const a = await join(alice.token, 'short', { since_seq: 999 });
      a.send({ content: 'first' });
      await a.next((f) => f.type === 'message');
      expect(seqsOf(a)).toEqual([1]);
    });
  });

  describe('other events on the socket', () => {
    it('org broadcasts reach every socket of the org, on any group', async () => {
      await newGroup('other');
      const a = await join(alice.token, 'general');
      const b = await join(bob.token, 'other');
      const res = await api(t, 'POST', `/api/v1/orgs/${orgId}/broadcast`, {
        token: admin.token,
        body: { content: 'all hands' },
      });
      expect(res.status).toBe(200);
      for (const s of [a, b]) {
        const f = await s.next((x) => x.type === 'broadcast');
        expect(f).toEqual({
          type: 'broadcast',
          id: expect.any(String),
          org_id: orgId,
          user_id: admin.user.id,
          username: admin.user.username,
          content: 'all hands',
          timestamp: expect.any(String),
          // The seed's broadcast shape on its group socket.
          group_id: s === a ? 'general' : 'other',
          client_id: null,
        });
      }
    });

    it("a user's events reach each of their sockets once, and no one else's", async () => {
      const a1 = await join(alice.token, 'general', { events: 'tasks' });
      const a2 = await join(alice.token, 'other', { events: 'tasks' });
      const b = await join(bob.token, 'general', { events: 'tasks' });
      t.app.events.toUser(orgId, alice.user.id, {
        type: 'task.created',
        id: 'ev-1',
        task: { title: 'x' },
      });
      t.app.events.toUser(orgId, bob.user.id, {
        type: 'task.created',
        id: 'ev-2',
        task: { title: 'y' },
      });
      await a1.next((f) => f.id === 'ev-1');
      await a2.next((f) => f.id === 'ev-1');
      await b.next((f) => f.id === 'ev-2');
      expect(a1.frames.filter((f) => f.type === 'task.created').map((f) => f.id)).toEqual(['ev-1']);
      expect(b.frames.filter((f) => f.type === 'task.created').map((f) => f.id)).toEqual(['ev-2']);
    });

    it('removing a member of a private group closes their sockets on it', async () => {
      await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: alice.token,
        body: { id: 'inner', name: 'inner', private: true },
      });
      await api(t, 'PUT', `/api/v1/orgs/${orgId}/groups/inner/members/${bob.user.id}`, {
        token: alice.token,
      });
      const b = await join(bob.token, 'inner');
      await api(t, 'DELETE', `/api/v1/orgs/${orgId}/groups/inner/members/${bob.user.id}`, {
        token: alice.token,
      });
      expect((await b.closed).code).toBe(1008);
    });
  });
});
