import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/realtime/broker-memory.js';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { openSocket, TestSocket } from './socket-client.js';

/**
 * A DM reaches every DM socket of both users whichever node holds them. With DATABASE_URL the
 * two users' sockets are on two nodes (over Redis with REDIS_URL, else an in-process bus); on
 * the embedded default both are one node.
 */
const twoNodes = Boolean(process.env['DATABASE_URL']);

describe(`seed DM sockets (${twoNodes ? 'on two nodes' : 'one node'})`, () => {
  let a: TestApp;
  let b: TestApp;
  let alice: Fixture;
  let bob: Fixture;
  const open: TestSocket[] = [];
  const dmSocket = async (node: TestApp, f: Fixture) => {
    const s = await openSocket(
      `${node.wsUrl}/ws/dm/${f.user.id}`,
      f.token,
      (ws) => new TestSocket(ws),
    );
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    const bus = new MemoryBus();
    a = await startApp({ memoryBus: bus });
    b = twoNodes
      ? await startApp({
          reuse: {
            dataDir: await mkdtemp(path.join(os.tmpdir(), 'orghub-dm-node2-')),
            databaseUrl: a.databaseUrl,
          },
          keepData: true,
          memoryBus: bus,
        })
      : a;
    const orgId = (await createOrg(a)).id;
    alice = await createUser(a, orgId, { username: 'alice' });
    bob = await createUser(a, orgId, { username: 'bob' });
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    if (b !== a) await b?.close();
    await a?.close();
  });

  it('a DM sent on one node reaches both users’ DM sockets on both nodes', async () => {
    const aliceOnB = await dmSocket(b, alice);
    const aliceOnA = await dmSocket(a, alice);
    const bobOnA = await dmSocket(a, bob);
    aliceOnB.send({ content: 'from node b', recipient_id: bob.user.id, client_msg_id: 'n-1' });
    for (const s of [aliceOnB, aliceOnA, bobOnA]) {
      expect(await s.next((f) => f['content'] === 'from node b')).toMatchObject({
        user_id: alice.user.id,
        recipient_id: bob.user.id,
      });
    }
    const r = await api(a, 'POST', `/api/v1/dm/${bob.user.id}/${alice.user.id}`, {
      token: bob.token,
      body: { content: 'from node a' },
    });
    expect(r.status).toBe(200);
    for (const s of [aliceOnB, aliceOnA, bobOnA])
      await s.next((f) => f['content'] === 'from node a');
    // Each socket got each DM once.
    for (const s of [aliceOnB, aliceOnA, bobOnA]) expect(s.frames).toHaveLength(2);
  });
});
