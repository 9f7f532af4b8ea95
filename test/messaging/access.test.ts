import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/realtime/broker-memory.js';
import { api, createOrg, createUser, startApp, type TestApp } from '../helpers/app.js';
import { connect, type TestSocket } from './socket-client.js';

/**
 * Access changes reach open group sockets through the user's channel, so the node that makes
 * the change need not be the node holding the socket. With DATABASE_URL the suite runs the
 * sockets on a second node (over Redis with REDIS_URL, else an in-process bus); on the
 * embedded default both are one node.
 */
const twoNodes = Boolean(process.env['DATABASE_URL']);

describe(`group sockets when access changes (${twoNodes ? 'changed on another node' : 'one node'})`, () => {
  let admin: TestApp; // where the REST changes are made
  let sockets: TestApp; // where the sockets are
  let orgId: string;
  const open: TestSocket[] = [];

  beforeAll(async () => {
    const bus = new MemoryBus();
    admin = await startApp({ memoryBus: bus });
    sockets = twoNodes
      ? await startApp({
          reuse: {
            dataDir: await mkdtemp(path.join(os.tmpdir(), 'orghub-access-node2-')),
            databaseUrl: admin.databaseUrl,
          },
          keepData: true,
          memoryBus: bus,
        })
      : admin;
    orgId = (await createOrg(admin)).id;
    // An org keeps at least one admin: this one stays while the others are demoted.
    await createUser(admin, orgId, { role: 'admin' });
    const g = await api(admin, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: admin.operatorToken,
      body: { id: 'secret', name: 'Secret', private: true },
    });
    expect(g.status).toBe(201);
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    if (sockets !== admin) await sockets?.close();
    await admin?.close();
  });

  const join = async (token: string, query: Record<string, string> = {}) => {
    const s = await connect(sockets, orgId, 'secret', token, { query });
    open.push(s);
    return s;
  };
  const addMember = async (userId: string) => {
    const r = await api(admin, 'PUT', `/api/v1/orgs/${orgId}/groups/secret/members/${userId}`, {
      token: admin.operatorToken,
    });
    expect(r.status).toBe(204);
  };
  const setRole = async (userId: string, role: 'admin' | 'member') => {
    const r = await api(admin, 'PUT', `/api/v1/users/${userId}`, {
      token: admin.operatorToken,
      body: { role },
    });
    expect(r.status).toBe(200);
  };

  it('a demoted admin loses a private group they are not a member of; a member keeps it', async () => {
    const outsider = await createUser(admin, orgId, { role: 'admin' });
    const insider = await createUser(admin, orgId, { role: 'admin' });
    await addMember(insider.user.id);
    const out = await join(outsider.token);
    const inn = await join(insider.token);
    // Both are live on the group before the change.
    out.send({ content: 'before', client_msg_id: 'o1' });
    await inn.next((f) => f.type === 'message' && f['content'] === 'before');

    const changed = Date.now();
    await setRole(outsider.user.id, 'member');
    await setRole(insider.user.id, 'member');
    const closed = await out.closed;
    expect(closed.code).toBe(1008);
    expect(Date.now() - changed).toBeLessThan(1000);

    // The insider's check ran alongside; its socket still carries messages.
    inn.send({ content: 'after', client_msg_id: 'i1' });
    expect(await inn.next((f) => f.type === 'message' && f['content'] === 'after')).toMatchObject({
      seq: expect.any(Number),
    });
    expect(inn.ws.readyState).toBe(inn.ws.OPEN);
  });

  it('removal from the private group closes that user’s sockets on it with 1008', async () => {
    const u = await createUser(admin, orgId);
    await addMember(u.user.id);
    const s = await join(u.token);
    const started = Date.now();
    const r = await api(
      admin,
      'DELETE',
      `/api/v1/orgs/${orgId}/groups/secret/members/${u.user.id}`,
      {
        token: admin.operatorToken,
      },
    );
    expect(r.status).toBe(204);
    expect((await s.closed).code).toBe(1008);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('deleting the user closes their group sockets with 4003', async () => {
    const u = await createUser(admin, orgId);
    await addMember(u.user.id);
    const s = await join(u.token);
    const started = Date.now();
    const r = await api(admin, 'DELETE', `/api/v1/users/${u.user.id}`, {
      token: admin.operatorToken,
    });
    expect(r.status).toBe(204);
    expect((await s.closed).code).toBe(4003);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('an org member who is promoted keeps their socket and gets no close', async () => {
    const u = await createUser(admin, orgId);
    await addMember(u.user.id);
    const s = await join(u.token, { events: 'all' });
    await setRole(u.user.id, 'admin');
    // The access event reaches the socket (it is visible to clients), and the socket stays.
    await s.next((f) => f.type === 'access.revoked' && f['reason'] === 'role');
    s.send({ content: 'still in', client_msg_id: 'p1' });
    await s.next((f) => f.type === 'message' && f['content'] === 'still in');
    expect(s.ws.readyState).toBe(s.ws.OPEN);
  });
});
