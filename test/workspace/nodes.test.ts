import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/realtime/broker-memory.js';
import {
  PASSWORD,
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { openWorkspace, type WorkspaceSocket } from './ws-client.js';

// Two nodes need one shared database: PostgreSQL (PGlite is one process's). With REDIS_URL
// the nodes talk over Redis, otherwise over an in-process bus.
describe.runIf(process.env['DATABASE_URL'])('the workspace socket across two nodes', () => {
  let one: TestApp;
  let two: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let admin: Fixture;
  const open: WorkspaceSocket[] = [];
  const ws = async (t: TestApp, token: string) => {
    const s = await openWorkspace(t, token);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    const bus = new MemoryBus();
    one = await startApp({ memoryBus: bus });
    two = await startApp({
      reuse: {
        dataDir: await mkdtemp(path.join(os.tmpdir(), 'orghub-ws-node2-')),
        databaseUrl: one.databaseUrl,
      },
      keepData: true, // the first app drops the database when it closes
      memoryBus: bus,
    });
    orgId = (await createOrg(one)).id;
    alice = await createUser(one, orgId);
    bob = await createUser(one, orgId);
    admin = await createUser(one, orgId, { role: 'admin' });
    const r = await api(one, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: admin.token,
      body: { id: 'team', name: 'team', private: true },
    });
    expect(r.status).toBe(201);
    for (const u of [alice, bob]) {
      const m = await api(one, 'PUT', `/api/v1/orgs/${orgId}/groups/team/members/${u.user.id}`, {
        token: admin.token,
      });
      expect(m.status).toBe(204);
    }
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await two?.close();
    await one?.close();
  });

  it('carries messages, typing and read cursors between sockets on different nodes', async () => {
    const a = await ws(two, alice.token);
    const aOther = await ws(one, alice.token);
    const b = await ws(one, bob.token);
    await a.request({ type: 'subscribe', group_id: 'team' });
    await b.request({ type: 'subscribe', group_id: 'team' });
    for (let i = 1; i <= 5; i++) {
      await b.request({ type: 'publish', group_id: 'team', content: `m${i}` });
    }
    await a.until(() => a.groupMessages('team').length === 5);
    expect(a.groupMessages('team').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    b.send({ type: 'typing', req: 't', group_id: 'team' });
    await a.next((f) => f.type === 'typing' && f['user_id'] === bob.user.id);
    await a.request({ type: 'read', group_id: 'team', seq: 5 });
    await aOther.next((f) => f.type === 'read' && f['seq'] === 5);
  });

  it('removal from the group on one node ends the subscription on the other within 1 s', async () => {
    const b = await ws(two, bob.token);
    await b.request({ type: 'subscribe', group_id: 'team' });
    const started = Date.now();
    const r = await api(one, 'DELETE', `/api/v1/orgs/${orgId}/groups/team/members/${bob.user.id}`, {
      token: admin.token,
    });
    expect(r.status).toBe(204);
    await b.next((f) => f.type === 'unsubscribed' && f['group_id'] === 'team');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('logout on one node closes that session’s socket on the other', async () => {
    const login = await api(one, 'POST', '/api/v1/auth/login', {
      body: { org_id: orgId, username: alice.user.username, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const s = await ws(two, login.body.access_token as string);
    const started = Date.now();
    const out = await api(one, 'POST', '/api/v1/auth/logout', {
      body: { refresh_token: login.body.refresh_token },
    });
    expect(out.status).toBe(204);
    expect((await s.closed).code).toBe(4003);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
