import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  captureLogs,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect, refusal, type TestSocket } from './socket-client.js';
import { until } from '../helpers/wait.js';

describe('socket limits, heartbeat, failures and shutdown', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let carol: Fixture;
  const logs = captureLogs();
  const open: TestSocket[] = [];
  const join = async (f: Fixture, opts: Parameters<typeof connect>[4] = {}) => {
    const s = await connect(t, orgId, 'general', f.token, opts);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await startApp({
      logStream: logs.stream,
      config: {
        logLevel: 'trace',
        wsMaxFrameBytes: 2048,
        maxMessageChars: 1000,
        wsMaxBacklogBytes: 256 * 1024,
        maxSocketsPerUser: 2,
        wsRateLimit: 3,
        wsPingIntervalMs: 250,
        wsPongTimeoutMs: 1500,
      },
    });
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    carol = await createUser(t, orgId);
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'general', name: 'General' },
    });
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('closes a socket that sends a frame over the hard limit with 1009; others carry on', async () => {
    const big = await join(alice);
    const other = await join(bob);
    big.ws.send('x'.repeat(3000));
    expect((await big.closed).code).toBe(1009);
    other.send({ type: 'ping' });
    await other.next((f) => f.type === 'pong');
    await other.close();
  });

  it('limits each socket to WS_RATE_LIMIT messages a second with bursts of twice that', async () => {
    const s = await join(carol);
    for (let i = 0; i < 12; i++) s.send({ content: `r${i}`, client_msg_id: `r${i}` });
    await s.until(
      (fs) => fs.filter((f) => f.type === 'message' || f.type === 'error').length === 12,
    );
    const limited = s.frames.filter((f) => f.type === 'error');
    const stored = s.messages();
    expect(limited.length).toBeGreaterThanOrEqual(4);
    expect(stored.length).toBeLessThanOrEqual(8);
    expect(stored.length).toBeGreaterThanOrEqual(6);
    for (const e of limited) {
      expect(e).toMatchObject({ code: 'rate_limited', client_msg_id: expect.stringMatching(/^r/) });
    }
    await s.close();
  });

  it('caps the sockets of one user at MAX_SOCKETS_PER_USER (429 before the upgrade)', async () => {
    const one = await join(carol);
    const two = await join(carol);
    const third = await refusal(connect(t, orgId, 'general', carol.token));
    expect(third).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
    await one.close();
    let again: TestSocket | undefined;
    await until(async () => {
      again = await connect(t, orgId, 'general', carol.token).catch(() => undefined);
      return again !== undefined;
    });
    open.push(again!);
    await two.close();
    await again!.close();
  });

  it('pings every WS_PING_INTERVAL and cuts a socket that does not answer within WS_PONG_TIMEOUT', async () => {
    const mute = await join(alice, { ws: { autoPong: false } });
    const live = await join(bob);
    let pings = 0;
    live.ws.on('ping', () => pings++);
    const closed = await mute.closed;
    expect(closed.code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(live.ws.readyState).toBe(live.ws.OPEN);
    await live.close();
  });

  it('closes a socket whose unsent backlog passes WS_MAX_BACKLOG with 1013; others get everything', async () => {
    // Org events other than broadcasts reach a group socket only when it opts in.
    const slow = await join(alice, { query: { events: 'all' } });
    const fast = await join(bob, { query: { events: 'all' } });
    const raw = (slow.ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    const blob = 'b'.repeat(100_000);
    const closesBefore = (await t.app.metrics.wsBacklogCloses.get()).values[0]?.value ?? 0;
    const closes = async () => (await t.app.metrics.wsBacklogCloses.get()).values[0]?.value ?? 0;
    // Paced by the fast reader, whose backlog so stays small while the paused one's grows
    // (past what the kernel's socket buffers absorb first).
    const bulk = () => fast.frames.filter((f) => f.type === 'bulk').length;
    let sent = 0;
    while ((await closes()) === closesBefore) {
      if (sent === 500) throw new Error('the paused socket was never closed');
      t.app.events.toOrg(orgId, { type: 'bulk', id: `b${sent++}`, blob });
      await fast.until(() => bulk() === sent);
    }
    for (let i = 0; i < 5; i++) {
      t.app.events.toOrg(orgId, { type: 'bulk', id: `b${sent++}`, blob });
      await fast.until(() => bulk() === sent);
    }
    raw.resume();
    expect((await slow.closed).code).toBe(1013);
    expect(slow.frames.filter((f) => f.type === 'bulk').length).toBeLessThan(sent);
    await fast.close();
  });

  it('never logs a token from the URL', async () => {
    const s = await join({ ...alice, token: '' }, { query: { access_token: alice.token } });
    await s.close();
    await refusal(
      connect(t, orgId, 'general', undefined, { query: { access_token: 'secret-bad-token-123' } }),
    );
    const text = logs.lines.join('\n');
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain(alice.token);
    expect(text).not.toContain('secret-bad-token-123');
  });

  it('exports socket metrics', async () => {
    const res = await api<string>(t, 'GET', '/metrics');
    expect(res.body).toMatch(/orghub_ws_connections \d+/);
    expect(res.body).toMatch(/orghub_ws_disconnects_total\{code="1009"\} [1-9]/);
    expect(res.body).toMatch(/orghub_ws_disconnects_total\{code="1013"\} [1-9]/);
    expect(res.body).toMatch(/orghub_ws_backlog_closes_total [1-9]/);
    expect(res.body).toMatch(/orghub_messages_in_total\{source="ws"\} [1-9]/);
    expect(res.body).toMatch(/orghub_messages_rejected_total\{code="rate_limited"\} [1-9]/);
    expect(res.body).toMatch(/orghub_deliveries_total [1-9]/);
    expect(res.body).toMatch(/orghub_ws_bytes_out_total [1-9]/);
    expect(res.body).toMatch(/orghub_message_store_seconds_count [1-9]/);
  });

  let sender: TestSocket;
  let other: TestSocket;
  it('answers unavailable when the message cannot be stored, and sends nothing to anyone', async () => {
    sender = await join(alice);
    other = await join(bob);
    // Both sockets are live (past their start-up reads) once a message reached both.
    sender.send({ content: 'before', client_msg_id: 'u-0' });
    await other.next((f) => f.type === 'message');
    await sender.next((f) => f.type === 'message');
    await t.app.database.close();
    sender.send({ content: 'lost?', client_msg_id: 'u-1' });
    const err = await sender.next((f) => f.type === 'error');
    expect(err).toMatchObject({ code: 'unavailable', client_msg_id: 'u-1' });
    other.send({ type: 'ping' });
    await other.next((f) => f.type === 'pong');
    expect(other.messages().map((m) => m.content)).toEqual(['before']);
    expect(sender.messages().map((m) => m.content)).toEqual(['before']);
    expect(sender.ws.readyState).toBe(sender.ws.OPEN);
  });

  it('on shutdown closes every socket with 1001 and takes no new ones', async () => {
    const closing = t.app.close();
    expect((await sender.closed).code).toBe(1001);
    expect((await other.closed).code).toBe(1001);
    await closing;
    await expect(connect(t, orgId, 'general', bob.token)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
