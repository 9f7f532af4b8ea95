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

/** Messages before the re-sent one: more than one replay page (500), so it is not in the first. */
const BEFORE = 600;
const AFTER = 100;

/**
 * A client that reconnects re-sends what it had not seen acknowledged. When the message was
 * stored before the drop, the reply to the re-send is the original, and it must come in its
 * seq position of the resumed stream: not ahead of the replay, and not a second time.
 */
describe('workspace socket: a re-sent publish during a resume', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  const open: WorkspaceSocket[] = [];
  const post = async (n: number, label: string) => {
    for (let i = 0; i < n; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, k) =>
          api(t, 'POST', `/api/v1/orgs/${orgId}/groups/busy/broadcast`, {
            token: t.operatorToken,
            body: { content: `${label} ${i + k}` },
          }).then((r) => expect(r.status).toBe(200)),
        ),
      );
    }
  };

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    const g = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'busy', name: 'busy' },
    });
    expect(g.status).toBe(201);
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('answers with the original, never ahead of the replay and with one reply', async () => {
    await post(BEFORE, 'before');
    const first = await openWorkspace(t, alice.token);
    open.push(first);
    const original = await first.request({
      type: 'publish',
      group_id: 'busy',
      content: 'the one re-sent',
      client_msg_id: 'resend-me',
    });
    expect(original).toMatchObject({ type: 'message', seq: BEFORE + 1 });
    // The client drops before it sees the reply; others keep talking while it is away.
    first.ws.terminate();
    await post(AFTER, 'after');
    const total = BEFORE + 1 + AFTER;

    // Back from the start: resume from 0 and re-send at once, not waiting for anything.
    const again = await openWorkspace(t, alice.token);
    open.push(again);
    again.send({ type: 'subscribe', req: 's', group_id: 'busy', since_seq: 0 });
    again.send({
      type: 'publish',
      req: 'p',
      group_id: 'busy',
      content: 'the one re-sent',
      client_msg_id: 'resend-me',
    });
    await again.until(() => again.groupMessages('busy').length >= total, 20_000, 'the replay');
    // A reply made once the stream had passed the original comes after it: wait for it too.
    await again.next((f) => f['req'] === 'p');
    const frames = again.groupMessages('busy');
    const replies = frames.filter((m) => m['req'] === 'p');
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ id: original['id'], seq: BEFORE + 1 });
    const at = frames.indexOf(replies[0]!);
    // The reply is either the original's own frame in the stream (the stream had not reached
    // it yet), or comes after the stream carried it: never ahead of the seqs before it.
    const stream = at === BEFORE ? frames : frames.filter((_, i) => i !== at);
    expect(at === BEFORE || at > BEFORE).toBe(true);
    expect(stream.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // Nothing was stored twice.
    const newest = await api(t, 'GET', `/api/v1/orgs/${orgId}/groups/busy/messages?limit=1`, {
      token: alice.token,
    });
    expect(newest.body.messages[0].seq).toBe(total);
  });
});
