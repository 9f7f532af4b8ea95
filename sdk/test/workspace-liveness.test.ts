import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrgHubClient } from '../src/index.js';
import { createOrg, createUser, startApp, type TestApp } from '../../test/helpers/app.js';
import { FAST, messagesByGroup, next, signIn } from './workspace-helpers.js';

/**
 * A TCP relay to the server whose open connections can be frozen: bytes stop flowing both
 * ways but nothing is closed, as on a dead Wi-Fi link. New connections still pass.
 */
function relay(target: URL) {
  const pairs: [Socket, Socket][] = [];
  const all = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    pairs.push([client, upstream]);
    all.add(client).add(upstream);
  });
  return {
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          const a = server.address();
          resolve(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
        }),
      ),
    freeze() {
      for (const [c, u] of pairs.splice(0)) {
        c.unpipe(u);
        u.unpipe(c);
        c.pause();
        u.pause();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const sock of all) sock.destroy();
      }),
  };
}

let t: TestApp;
let orgId: string;
let alice: OrgHubClient;
let bob: OrgHubClient;

beforeAll(async () => {
  t = await startApp();
  orgId = (await createOrg(t)).id;
  await createUser(t, orgId, { username: 'alice' });
  await createUser(t, orgId, { username: 'bob' });
  alice = await signIn(t.url, orgId, 'alice');
  bob = await signIn(t.url, orgId, 'bob');
  await alice.createGroup(orgId, { id: 'quiet', name: 'quiet' });
});
afterAll(() => t?.close());

describe('WorkspaceSocket liveness', () => {
  it('gives up a link that went silent (no pong) and resumes on a new connection', async () => {
    const r = relay(new URL(t.url));
    bob.baseUrl = await r.listen();
    const s = bob.workspace({ ...FAST, pingIntervalMs: 300, pingTimeoutMs: 300 }).connect();
    try {
      const got = messagesByGroup(s);
      await s.subscribe('quiet');
      // Quiet but alive: pings are answered, the connection stays.
      const arrived = next(s, 'message');
      const first = await alice.postMessage(orgId, 'quiet', { content: 'before' });
      await arrived;
      r.freeze();
      const dropped = next(s, 'disconnected');
      const recovered = next(s, 'recovered');
      const sent = (await alice.postMessage(orgId, 'quiet', { content: 'while frozen' })).message;
      const caughtUp = next(s, 'message', (m) => m.id === sent.id);
      expect(await dropped).toMatchObject({ code: 4000, reason: 'no pong', willReconnect: true });
      expect(await recovered).toEqual({ group_id: 'quiet', recovered: true });
      await caughtUp;
      expect(got.get('quiet')!.map((m) => m.id)).toEqual([first.message.id, sent.id]);
    } finally {
      s.close();
      await r.close();
      bob.baseUrl = t.url;
    }
  });
});
