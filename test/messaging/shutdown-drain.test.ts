import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { openWorkspace } from '../workspace/ws-client.js';
import { connect, refusal, type TestSocket } from './socket-client.js';

// A rolling restart must not reconnect a node's every client in the same instant: on SIGTERM
// the sockets are closed with 1001 in batches spread over SHUTDOWN_DRAIN.
describe('shutdown drains sockets in batches over SHUTDOWN_DRAIN', () => {
  const DRAIN_MS = 1000;
  let t: TestApp;
  let orgId: string;
  let users: Fixture[];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    t = await startApp({ config: { shutdownDrainMs: DRAIN_MS } });
    orgId = (await createOrg(t)).id;
    users = [];
    for (let i = 0; i < 3; i++) users.push(await createUser(t, orgId));
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: users[0]!.token,
      body: { id: 'general', name: 'General' },
    });
    for (const u of users) {
      for (let i = 0; i < 6; i++) sockets.push(await connect(t, orgId, 'general', u.token));
      for (let i = 0; i < 4; i++) sockets.push(await openWorkspace(t, u.token));
    }
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await t.close();
  });

  it('closes every socket with 1001, a slice at a time, and refuses new ones meanwhile', async () => {
    const started = Date.now();
    const closes = sockets.map((s) => s.closed.then((c) => ({ ...c, at: Date.now() - started })));
    const closing = t.app.close();
    const first = await Promise.race(closes);
    // Mid-drain, the node still listens but takes no new socket: 503, so clients go elsewhere.
    const refused = await refusal(connect(t, orgId, 'general', users[0]!.token));
    expect(refused.status).toBe(503);
    const all = await Promise.all(closes);
    await closing;

    expect(all.map((c) => c.code)).toEqual(sockets.map(() => 1001));
    const times = all.map((c) => c.at).sort((a, b) => a - b);
    const spread = times.at(-1)! - times[0]!;
    // 30 sockets over 1 s: ten batches per gateway, 100 ms apart, so the last closes ~0.9 s
    // after the first and no more than a few close together.
    expect(spread).toBeGreaterThanOrEqual(DRAIN_MS * 0.6);
    expect(times.filter((at) => at - first.at < 50).length).toBeLessThanOrEqual(8);
    expect(times.at(-1)!).toBeLessThan(DRAIN_MS + 3000);
  });
});
