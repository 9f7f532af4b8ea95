import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertMessages, type NewMessage } from '../../src/modules/messages/messages.repo.js';
import { MessageWriter } from '../../src/modules/messages/messages.writer.js';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect, type MessageFrame, type TestSocket } from './socket-client.js';

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

describe('group commit (messages stored in batches)', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  const open: TestSocket[] = [];

  const newGroup = async () => {
    const id = `g-${randomUUID().slice(0, 8)}`;
    const res = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id, name: id },
    });
    expect(res.status).toBe(201);
    return id;
  };
  const msg = (who: Fixture | null, content: string, clientMsgId: string | null = null) =>
    ({
      id: randomUUID(),
      userId: who ? who.user.id : null,
      username: who ? who.user.username : 'operator',
      clientId: null,
      clientMsgId,
      content,
      createdAt: new Date(),
    }) satisfies NewMessage;

  beforeAll(async () => {
    t = await startApp({ config: { wsRateLimit: 10_000 } });
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId, { username: 'alice' });
    bob = await createUser(t, orgId, { username: 'bob' });
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('one statement takes a contiguous seq range in input order', async () => {
    const g = await newGroup();
    const db = t.app.database.db;
    const first = await insertMessages(db, orgId, g, [msg(alice, 'a'), msg(bob, 'b')]);
    const second = await insertMessages(db, orgId, g, [
      msg(null, 'c'),
      msg(alice, 'd'),
      msg(bob, 'e'),
    ]);
    const all = [...first, ...second];
    expect(all.map((r) => [r?.row.seq, r?.row.content, r?.created])).toEqual([
      [1, 'a', true],
      [2, 'b', true],
      [3, 'c', true],
      [4, 'd', true],
      [5, 'e', true],
    ]);
  });

  it('a retry inside one batch, or of a stored message, is the original, not a second row', async () => {
    const g = await newGroup();
    const db = t.app.database.db;
    const [stored] = await insertMessages(db, orgId, g, [msg(alice, 'one', 'k1')]);
    const again = await insertMessages(db, orgId, g, [
      msg(alice, 'two', 'k2'),
      msg(alice, 'one (retry of a stored one)', 'k1'),
      msg(alice, 'two (retry in the same batch)', 'k2'),
      msg(bob, 'same key, other user', 'k2'),
      msg(alice, 'three', 'k3'),
    ]);
    expect(again.map((r) => [r?.row.seq, r?.row.content, r?.created])).toEqual([
      [2, 'two', true],
      [1, 'one', false],
      [2, 'two', false],
      [3, 'same key, other user', true],
      [4, 'three', true],
    ]);
    expect(again[1]!.row.id).toBe(stored!.row.id);
    expect(again[2]!.row.id).toBe(again[0]!.row.id);
    const count = await api<{ count: number }>(
      t,
      'GET',
      `/api/v1/orgs/${orgId}/groups/${g}/messages/count`,
      { token: alice.token },
    );
    expect(count.body.count).toBe(4);
  });

  it('answers undefined for every message of a group that does not exist', async () => {
    const r = await insertMessages(t.app.database.db, orgId, 'no-such-group', [
      msg(alice, 'x'),
      msg(alice, 'y', 'k'),
    ]);
    expect(r).toEqual([undefined, undefined]);
  });

  it('concurrent writers (as two nodes) on one group: contiguous seqs, no duplicates, each retry answered once', async () => {
    const g = await newGroup();
    const db = t.app.database.db;
    const nodeA = new MessageWriter(db);
    const nodeB = new MessageWriter(db);
    const sends: Array<Promise<unknown>> = [];
    const results: Array<{ key: string; seq: number; created: boolean }> = [];
    for (let i = 0; i < 120; i++) {
      const writer = i % 2 ? nodeB : nodeA;
      const who = i % 3 ? alice : bob;
      // Every fifth message repeats the client_msg_id of the one before it, through the
      // other node: a retry that may land in the same batch, in a concurrent one, or later.
      const key = `k${i % 5 === 4 ? i - 1 : i}`;
      const author = i % 5 === 4 ? ((i - 1) % 3 ? alice : bob) : who;
      sends.push(
        writer.write(orgId, g, msg(author, `m${i}`, key)).then((r) => {
          expect(r).toBeDefined();
          results.push({ key: `${author.user.id}/${key}`, seq: r!.row.seq, created: r!.created });
        }),
      );
    }
    await Promise.all(sends);
    const created = results.filter((r) => r.created);
    expect(created.map((r) => r.seq).sort((a, b) => a - b)).toEqual(range(1, 96));
    // A key's every answer names the one row stored for it.
    const seqOfKey = new Map<string, Set<number>>();
    for (const r of results) seqOfKey.set(r.key, (seqOfKey.get(r.key) ?? new Set()).add(r.seq));
    expect([...seqOfKey.values()].every((s) => s.size === 1)).toBe(true);
    expect(seqOfKey.size).toBe(96);
  });

  it('a message the database refuses fails alone; the rest of its batch is stored', async () => {
    const g = await newGroup();
    const writer = new MessageWriter(t.app.database.db);
    // Written in one turn: one batch. The NUL (refused by PostgreSQL in text) fails the
    // batch statement, and the messages are then stored one by one.
    const results = await Promise.allSettled([
      writer.write(orgId, g, msg(alice, 'before')),
      writer.write(orgId, g, msg(alice, 'bad \u0000 content')),
      writer.write(orgId, g, msg(bob, 'after')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const seqs = results.map((r) => (r.status === 'fulfilled' ? r.value?.row.seq : undefined));
    expect(seqs).toEqual([1, undefined, 2]);
  });

  it('many sockets sending at once: every message acknowledged, subscribers see 1..N once, in order', async () => {
    const g = await newGroup();
    const watcher = await connect(t, orgId, g, bob.token);
    open.push(watcher);
    const senders: TestSocket[] = [];
    for (let i = 0; i < 8; i++) {
      const s = await connect(t, orgId, g, i % 2 ? alice.token : bob.token);
      open.push(s);
      senders.push(s);
    }
    const perSender = 25;
    // Each sender fires its whole burst without waiting: batches form while writes are in flight.
    senders.forEach((s, i) => {
      for (let n = 0; n < perSender; n++) {
        s.send({ content: `s${i}-${n}`, client_msg_id: `s${i}-${n}` });
      }
    });
    // And half of them again (a client retrying): answered, never stored twice.
    senders.forEach((s, i) => {
      for (let n = 0; n < perSender; n += 2) {
        s.send({ content: `s${i}-${n}`, client_msg_id: `s${i}-${n}` });
      }
    });
    const total = senders.length * perSender;
    await watcher.until((fs) => fs.filter((f) => f.type === 'message').length >= total);
    const seen = watcher.messages();
    expect(seen.map((m) => m.seq)).toEqual(range(1, total));
    expect(new Set(seen.map((m) => m.content)).size).toBe(total);
    // Each sender's own messages carry its sending order in their seqs.
    const retries = Math.ceil(perSender / 2);
    for (const [i, s] of senders.entries()) {
      // Everything, plus its retries answered with the original event.
      await s.until((fs) => fs.filter((f) => f.type === 'message').length >= total + retries);
      const own = s
        .messages()
        .filter((m: MessageFrame) => m.content.startsWith(`s${i}-`))
        .slice(0, perSender);
      expect(own.map((m) => m.content)).toEqual(range(0, perSender - 1).map((n) => `s${i}-${n}`));
      expect(s.messages().length).toBe(total + retries);
    }
    expect(watcher.frames.some((f) => f.type === 'error')).toBe(false);
  });
});
