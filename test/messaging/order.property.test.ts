import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect, type MessageFrame, type TestSocket } from './socket-client.js';

type Action =
  | { kind: 'send'; who: number; dupOf: number | null }
  | { kind: 'reconnect'; who: number }
  | { kind: 'http'; who: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      who: fc.nat(2),
      dupOf: fc.option(fc.nat(20), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), who: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('http' as const), who: fc.nat(2) }) },
);

/** One participant: a logical client that reconnects with since_seq and records every frame. */
interface Client {
  user: Fixture;
  socket: TestSocket;
  /** Its sockets so far, one after the other (each closed before the next opened). */
  sockets: TestSocket[];
  sentIds: string[];
  /** client_msg_ids it re-sent: each may bring the original back once more. */
  resent: string[];
}

describe('per-group order under interleaved senders, reconnects and duplicates (property)', () => {
  let t: TestApp;
  let orgId: string;
  let users: Fixture[];
  let run = 0;

  beforeAll(async () => {
    t = await startApp({ config: { wsRateLimit: 1000 } });
    orgId = (await createOrg(t)).id;
    users = [];
    for (let i = 0; i < 3; i++) users.push(await createUser(t, orgId));
  });
  afterAll(() => t.close());

  const received = (c: Client): MessageFrame[] => c.sockets.flatMap((s) => s.messages());
  const open = async (c: Client, groupId: string) => {
    // The resume point is the highest seq held (a re-sent original can come after it).
    const last = Math.max(0, ...received(c).map((m) => m.seq));
    const s = await connect(t, orgId, groupId, c.user.token, { query: { since_seq: last } });
    c.sockets.push(s);
    c.socket = s;
  };

  it('every client sees each seq once, in order, with no gap; all agree on the order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30 }), async (actions) => {
        const groupId = `p${run++}`;
        await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
          token: users[0]!.token,
          body: { id: groupId, name: groupId },
        });
        const clients: Client[] = [];
        for (const user of users) {
          const c = { user, sockets: [], sentIds: [], resent: [] } as unknown as Client;
          await open(c, groupId);
          clients.push(c);
        }
        const distinct = new Set<string>();
        const pending: Array<Promise<unknown>> = [];
        let n = 0;
        for (const a of actions) {
          const c = clients[a.who]!;
          if (a.kind === 'reconnect') {
            await c.socket.close();
            await open(c, groupId);
          } else if (a.kind === 'http') {
            const id = `h${n++}`;
            distinct.add(`${a.who}/${id}`);
            pending.push(
              api(t, 'POST', `/api/v1/orgs/${orgId}/groups/${groupId}/broadcast`, {
                token: c.user.token,
                body: { content: id, client_msg_id: id },
              }),
            );
          } else {
            const again =
              a.dupOf !== null ? c.sentIds[a.dupOf % Math.max(1, c.sentIds.length)] : undefined;
            const id = again ?? `w${n++}`;
            if (again) c.resent.push(again);
            else c.sentIds.push(id);
            distinct.add(`${a.who}/${id}`);
            // Not awaited: senders interleave freely.
            c.socket.send({ content: `${id} by ${a.who}`, client_msg_id: id });
          }
        }
        await Promise.all(pending);
        const total = distinct.size;
        for (const c of clients) {
          await c.socket.until(
            () => new Set(received(c).map((m) => m.seq)).size >= total,
            15_000,
            `${total} messages`,
          );
        }
        // Every client: 1..total in order, each once, except the originals of its own re-sends.
        const reference = new Map<number, string>();
        for (const c of clients) {
          const resent = [...c.resent];
          let expected = 1;
          for (const m of received(c)) {
            if (m.seq === expected) {
              expected++;
              const seen = reference.get(m.seq);
              if (seen === undefined) reference.set(m.seq, m.id);
              else expect(m.id).toBe(seen);
              continue;
            }
            const i = resent.indexOf(m.client_msg_id ?? '');
            expect(m.seq < expected && m.user_id === c.user.user.id && i >= 0).toBe(true);
            resent.splice(i, 1);
          }
          expect(expected - 1).toBe(total);
        }
        const count = await api<{ count: number }>(
          t,
          'GET',
          `/api/v1/orgs/${orgId}/groups/${groupId}/messages/count`,
          { token: users[0]!.token },
        );
        expect(count.body.count).toBe(total);
        for (const c of clients) await c.socket.close();
      }),
      { numRuns: 15, endOnFailure: true },
    );
  }, 120_000);
});
