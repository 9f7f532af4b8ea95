import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { startPurgeJob } from '../../src/modules/messages/messages.purge.js';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';

interface Msg {
  type: 'message';
  id: string;
  seq: number;
  user_id: string | null;
  username: string;
  content: string;
  client_msg_id: string | null;
  timestamp: string;
}
interface Page {
  messages: Msg[];
  count: number;
}

describe('history and broadcast routes', () => {
  let t: TestApp;
  let orgId: string;
  let admin: Fixture;
  let alice: Fixture;
  let other: Fixture;
  const G = () => `/api/v1/orgs/${orgId}/groups/general`;

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    admin = await createUser(t, orgId, { role: 'admin' });
    alice = await createUser(t, orgId);
    const otherOrg = (await createOrg(t)).id;
    other = await createUser(t, otherOrg, { role: 'admin' });
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'general', name: 'General' },
    });
    for (let i = 1; i <= 30; i++) {
      const res = await api(t, 'POST', `${G()}/broadcast`, {
        token: alice.token,
        body: { content: `m${i}` },
      });
      expect(res.status).toBe(200);
    }
  });
  afterAll(() => t.close());

  it('group broadcast stores with the next seq and answers {status, message}', async () => {
    const res = await api<{ status: string; message: Msg }>(t, 'POST', `${G()}/broadcast`, {
      token: t.operatorToken,
      body: { content: 'from the operator', client_id: 'script' },
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('sent');
    expect(res.body.message).toMatchObject({
      type: 'message',
      seq: 31,
      user_id: null,
      username: 'operator',
      client_id: 'script',
      content: 'from the operator',
      org_id: orgId,
      group_id: 'general',
    });
    expect(res.body.message.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('a repeated client_msg_id stores nothing new and returns the original', async () => {
    const first = await api<{ status: string; message: Msg }>(t, 'POST', `${G()}/broadcast`, {
      token: alice.token,
      body: { content: 'once', client_msg_id: 'k-1' },
    });
    const again = await api<{ status: string; message: Msg }>(t, 'POST', `${G()}/broadcast`, {
      token: alice.token,
      body: { content: 'different text', client_msg_id: 'k-1' },
    });
    expect(again.body.status).toBe('duplicate');
    expect(again.body.message).toEqual(first.body.message);
    const count = await api<{ count: number }>(t, 'GET', `${G()}/messages/count`, {
      token: alice.token,
    });
    expect(count.body.count).toBe(first.body.message.seq);
  });

  it('refuses empty and over-long content, and unknown fields', async () => {
    const empty = await api(t, 'POST', `${G()}/broadcast`, {
      token: alice.token,
      body: { content: '   ' },
    });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({
      code: 'bad_request',
      error: expect.stringMatching(/content/),
    });
    const long = await api(t, 'POST', `${G()}/broadcast`, {
      token: alice.token,
      body: { content: 'x'.repeat(t.app.config.maxMessageChars + 1) },
    });
    expect(long.status).toBe(413);
    expect(long.body).toMatchObject({ code: 'payload_too_large' });
    const sneaky = await api(t, 'POST', `${G()}/broadcast`, {
      token: alice.token,
      body: { content: 'hi', user_id: admin.user.id },
    });
    expect(sneaky.status).toBe(400);
  });

  it('GET /messages is newest first and pages back with before_seq', async () => {
    const first = await api<Page>(t, 'GET', `${G()}/messages?limit=10`, { token: alice.token });
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(10);
    const seqs = first.body.messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const before = seqs.at(-1)!;
    const next = await api<Page>(t, 'GET', `${G()}/messages?limit=10&before_seq=${before}`, {
      token: alice.token,
    });
    expect(next.body.messages.map((m) => m.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => before - 1 - i),
    );
  });

  it('around_seq opens a message in place: limit before, the one, limit after, oldest first', async () => {
    const get = (q: string) => api<Page>(t, 'GET', `${G()}/messages?${q}`, { token: alice.token });
    const mid = await get('around_seq=10&limit=3');
    expect(mid.status).toBe(200);
    expect(mid.body.messages.map((m) => m.seq)).toEqual([7, 8, 9, 10, 11, 12, 13]);
    expect(mid.body.messages[3]).toMatchObject({ content: 'm10' });
    expect(mid.body.count).toBe(7);
    // Near the start there is less before it; past the end there is nothing after it.
    expect((await get('around_seq=2&limit=3')).body.messages.map((m) => m.seq)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    const latest = (await get('limit=1')).body.messages[0]!.seq;
    expect((await get(`around_seq=${latest + 5}&limit=2`)).body.messages.map((m) => m.seq)).toEqual(
      [latest - 1, latest],
    );
    const both = await get('around_seq=5&before_seq=9');
    expect(both).toMatchObject({ status: 400, body: { code: 'bad_request' } });
    expect(JSON.stringify(both.body)).toContain('around_seq');
    const bad = await get('around_seq=-1');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('around_seq');
  });

  it('clamps limit to 1..1000 and rejects a non-number naming the field', async () => {
    const big = await api<Page>(t, 'GET', `${G()}/messages?limit=5000`, { token: alice.token });
    expect(big.status).toBe(200);
    expect(big.body.count).toBeGreaterThan(30);
    const zero = await api<Page>(t, 'GET', `${G()}/messages?limit=0`, { token: alice.token });
    expect(zero.body.count).toBe(1);
    const bad = await api(t, 'GET', `${G()}/messages?limit=abc`, { token: alice.token });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'bad_request', error: expect.stringMatching(/limit/) });
  });

  it('/messages/after takes after_seq or unix seconds, oldest first', async () => {
    const bySeq = await api<Page>(t, 'GET', `${G()}/messages/after?after_seq=25&limit=3`, {
      token: alice.token,
    });
    expect(bySeq.body.messages.map((m) => m.seq)).toEqual([26, 27, 28]);
    const past = Math.floor(Date.now() / 1000) - 3600;
    const byTime = await api<Page>(t, 'GET', `${G()}/messages/after?after=${past}&limit=2`, {
      token: alice.token,
    });
    expect(byTime.body.messages.map((m) => m.seq)).toEqual([1, 2]);
    const future = Math.floor(Date.now() / 1000) + 3600;
    const none = await api<Page>(t, 'GET', `${G()}/messages/after?after=${future}`, {
      token: alice.token,
    });
    expect(none.body).toEqual({ messages: [], count: 0 });
    const missing = await api(t, 'GET', `${G()}/messages/after`, { token: alice.token });
    expect(missing.status).toBe(400);
  });

  it('/messages/between is inclusive on both ends', async () => {
    const all = await api<Page>(t, 'GET', `${G()}/messages/after?after_seq=0&limit=1000`, {
      token: alice.token,
    });
    const m5 = all.body.messages[4]!;
    const sec = Math.floor(Date.parse(m5.timestamp) / 1000);
    const res = await api<Page>(t, 'GET', `${G()}/messages/between?start=${sec}&end=${sec}`, {
      token: alice.token,
    });
    expect(res.body.messages.map((m) => m.id)).toContain(m5.id);
    for (const m of res.body.messages) expect(Math.floor(Date.parse(m.timestamp) / 1000)).toBe(sec);
    const backwards = await api(t, 'GET', `${G()}/messages/between?start=10&end=5`, {
      token: alice.token,
    });
    expect(backwards.status).toBe(400);
  });

  it('never returns messages older than the retention window, and the purge deletes them', async () => {
    const db = t.app.database.db;
    await db.execute(
      sql`update messages set created_at = now() - interval '8 days' where org_id = ${orgId} and seq <= 5`,
    );
    const after = await api<Page>(t, 'GET', `${G()}/messages/after?after_seq=0&limit=3`, {
      token: alice.token,
    });
    expect(after.body.messages.map((m) => m.seq)).toEqual([6, 7, 8]);
    const count = await api<{ count: number }>(t, 'GET', `${G()}/messages/count`, {
      token: alice.token,
    });
    const rows = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from messages where org_id = ${orgId}`,
    );
    const total = (rows as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
    expect(count.body.count).toBe(total - 5);

    const purge = startPurgeJob(db, { retentionMs: t.app.config.messageRetentionMs });
    try {
      // A fresh database has no partition for 8 days ago: the rows moved to the default one.
      expect((await purge.runOnce()).rows).toBe(5);
    } finally {
      await purge.stop();
    }
    const left = await db.execute(
      sql`select count(*)::int as n from messages where org_id = ${orgId}`,
    );
    expect((left as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(total - 5);
  });

  it('another org, a private group and a bad id are all 404', async () => {
    const foreign = await api(t, 'GET', `${G()}/messages`, { token: other.token });
    expect(foreign.status).toBe(404);
    const post = await api(t, 'POST', `${G()}/broadcast`, {
      token: other.token,
      body: { content: 'hi' },
    });
    expect(post.status).toBe(404);
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: admin.token,
      body: { id: 'secret', name: 'Secret', private: true },
    });
    const priv = await api(t, 'GET', `/api/v1/orgs/${orgId}/groups/secret/messages/count`, {
      token: alice.token,
    });
    expect(priv.status).toBe(404);
    const bad = await api(t, 'GET', `/api/v1/orgs/${orgId}/groups/bad%20id/messages`, {
      token: alice.token,
    });
    expect(bad.status).toBe(404);
  });

  it('org broadcast: admins and the operator only; stored and listed newest first', async () => {
    const member = await api(t, 'POST', `/api/v1/orgs/${orgId}/broadcast`, {
      token: alice.token,
      body: { content: 'hello all' },
    });
    expect(member.status).toBe(403);
    const foreign = await api(t, 'POST', `/api/v1/orgs/${orgId}/broadcast`, {
      token: other.token,
      body: { content: 'hello all' },
    });
    expect(foreign.status).toBe(404);
    const a = await api<{ status: string; message: { id: string } }>(
      t,
      'POST',
      `/api/v1/orgs/${orgId}/broadcast`,
      { token: admin.token, body: { content: 'first' } },
    );
    expect(a.status).toBe(200);
    expect(a.body.message).toMatchObject({
      type: 'broadcast',
      org_id: orgId,
      user_id: admin.user.id,
      content: 'first',
    });
    const op = await api(t, 'POST', `/api/v1/orgs/${orgId}/broadcast`, {
      token: t.operatorToken,
      body: { content: 'second' },
    });
    expect(op.body).toMatchObject({ message: { user_id: null, username: 'operator' } });
    const list = await api<{ broadcasts: Array<{ content: string }>; count: number }>(
      t,
      'GET',
      `/api/v1/orgs/${orgId}/broadcasts`,
      { token: alice.token },
    );
    expect(list.status).toBe(200);
    expect(list.body.broadcasts.map((b) => b.content)).toEqual(['second', 'first']);
    const hidden = await api(t, 'GET', `/api/v1/orgs/${orgId}/broadcasts`, { token: other.token });
    expect(hidden.status).toBe(404);
    const nowhere = await api(t, 'POST', `/api/v1/orgs/no-such-org/broadcast`, {
      token: t.operatorToken,
      body: { content: 'x' },
    });
    expect(nowhere.status).toBe(404);
  });
});
