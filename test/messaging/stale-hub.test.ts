import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertMessage } from '../../src/modules/messages/messages.repo.js';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect, type TestSocket } from './socket-client.js';

// Issue 16, defect 7: a message committed by a node that stopped before publishing it is in
// the store but was never announced. The other nodes' view of the group's last seq must not
// stay behind silently: a duplicate of it is answered, a resume at the node's view sees it,
// and a quiet group catches up by itself. Here the unannounced commit is a row written
// straight to the store, as that node's transaction wrote it.
describe('a message stored but never published', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  const open: TestSocket[] = [];
  const seqsOf = (s: TestSocket) => s.messages().map((m) => m.seq);
  const commitUnannounced = (clientMsgId: string) =>
    insertMessage(t.app.database.db, orgId, 'general', {
      id: randomUUID(),
      userId: alice.user.id,
      username: alice.user.username,
      clientId: null,
      clientMsgId,
      content: `unannounced ${clientMsgId}`,
      createdAt: new Date(),
    });

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'general', name: 'General' },
    });
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('reaches a resending sender, a resuming socket and a quiet group', async () => {
    const sender = await connect(t, orgId, 'general', alice.token);
    const watcher = await connect(t, orgId, 'general', alice.token);
    open.push(sender, watcher);
    sender.send({ content: 'one', client_msg_id: 'c1' });
    await watcher.until((fs) => fs.some((f) => f['seq'] === 1));

    // The duplicate's reply must come (it waited for a seq this node never heard of).
    await commitUnannounced('c2');
    const sentAt = Date.now();
    sender.send({ content: 'two again', client_msg_id: 'c2' });
    await sender.until((fs) => fs.some((f) => f['seq'] === 2), 3000, 'the reply to c2');
    // Well before the audit would have found it: the duplicate itself told the hub.
    expect(Date.now() - sentAt).toBeLessThan(2000);
    await watcher.until((fs) => fs.some((f) => f['seq'] === 2), 3000, 'seq 2 on the watcher');

    // A resume at exactly this node's view used to trust it without a query.
    await commitUnannounced('c3');
    const resumed = await connect(t, orgId, 'general', alice.token, { query: { since_seq: 2 } });
    open.push(resumed);
    await resumed.until((fs) => fs.some((f) => f['seq'] === 3), 3000, 'seq 3 on the resume');
    expect(seqsOf(resumed)).toEqual([3]);

    // Nobody asks: the periodic audit of quiet groups (every 5 s) finds it.
    await commitUnannounced('c4');
    await watcher.until((fs) => fs.some((f) => f['seq'] === 4), 12_000, 'seq 4 by the audit');
    await resumed.until((fs) => fs.some((f) => f['seq'] === 4), 3000, 'seq 4 on the resume');

    expect(seqsOf(watcher)).toEqual([1, 2, 3, 4]);
    expect(seqsOf(resumed)).toEqual([3, 4]);
    // The sender: its stream once in order; c2's reply is the stream's seq 2 itself.
    expect(seqsOf(sender)).toEqual([1, 2, 3, 4]);
  }, 30_000);
});
