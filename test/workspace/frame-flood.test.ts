import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect } from '../messaging/socket-client.js';
import { openWorkspace } from './ws-client.js';

/**
 * Issue 16, item 10: one `/ws` socket sending 3,000 `subscribe` frames stalled other users'
 * requests for 2.6 s, since only `publish` took from the rate limit. Every frame kind does now.
 */
describe('every frame kind is rate-limited', () => {
  let t: TestApp;
  let orgId: string;
  let flooder: Fixture;
  let other: Fixture;

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    flooder = await createUser(t, orgId);
    other = await createUser(t, orgId);
    const g = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: other.token,
      body: { id: 'general', name: 'General' },
    });
    expect(g.status).toBe(201);
  });
  afterAll(() => t.close());

  it('3,000 subscribes: the flooder is answered rate_limited and cut off; another user is answered promptly', async () => {
    const bystander = await openWorkspace(t, other.token);
    const flood = await openWorkspace(t, flooder.token);
    for (let i = 0; i < 3000; i++)
      flood.send({ type: 'subscribe', req: `f${i}`, group_id: 'general' });
    const started = performance.now();
    const reply = await bystander.request({ type: 'history', group_id: 'general' });
    const ms = performance.now() - started;
    expect(reply).toMatchObject({ type: 'history', group_id: 'general' });
    console.log(`frame flood: another user's request answered in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
    const { code } = await flood.closed;
    expect(code).toBe(1008);
    const limited = flood.frames.filter((f) => f.type === 'error' && f['code'] === 'rate_limited');
    const subscribed = flood.frames.filter((f) => f.type === 'subscribed');
    expect(limited.length).toBeGreaterThan(0);
    // The burst (twice WS_RATE_LIMIT) and a little refill went through, not 3,000.
    expect(subscribed.length).toBeLessThanOrEqual(2 * t.app.config.wsRateLimit + 10);
    expect(limited[0]).toMatchObject({ req: expect.stringMatching(/^f\d+$/), group_id: 'general' });
    await bystander.close();
  });

  it('on the group socket too: malformed frames and messages share one bucket; pings have their own', async () => {
    const s = await connect(t, orgId, 'general', flooder.token);
    const burst = 2 * t.app.config.wsRateLimit;
    for (let i = 0; i < burst + 5; i++) s.send('not json');
    await s.until((fs) => fs.length >= burst + 5);
    expect(s.frames.slice(0, burst).every((f) => f['code'] === 'bad_request')).toBe(true);
    expect(s.frames.slice(burst).every((f) => f['code'] === 'rate_limited')).toBe(true);
    // The bucket is empty, yet a ping is answered.
    s.send({ type: 'ping' });
    await s.next((f) => f.type === 'pong');
    s.send({ content: 'too soon', client_msg_id: 'c-1' });
    expect(await s.next((f) => f['client_msg_id'] === 'c-1')).toMatchObject({
      code: 'rate_limited',
    });
    await s.close();
  });
});
