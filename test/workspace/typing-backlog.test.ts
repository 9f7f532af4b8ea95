import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { makeFrame, type Frame } from '../../src/ws/engine/out-frame.js';
import type { Sink } from '../../src/ws/engine/sink.js';
import { PendingReplies, SubscriptionSink } from '../../src/ws/protocols/workspace-sink.js';
import { openWorkspace, type WorkspaceSocket } from './ws-client.js';

describe('typing indicators and the backlog bound on the workspace socket', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  const open: WorkspaceSocket[] = [];
  const ws = async (token: string, groups: string[] = ['chat']) => {
    const s = await openWorkspace(t, token);
    open.push(s);
    for (const g of groups) await s.request({ type: 'subscribe', group_id: g });
    return s;
  };
  const typingOf = (s: WorkspaceSocket, userId: string) =>
    s.frames.filter((f) => f.type === 'typing' && f['user_id'] === userId);

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    const r = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'chat', name: 'chat' },
    });
    expect(r.status).toBe(201);
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  it('reaches the others, not the typer; rate-limited; stops ~5 s after the last frame', async () => {
    const a = await ws(alice.token);
    const b = await ws(bob.token);
    const started = Date.now();
    for (let i = 0; i < 5; i++) a.send({ type: 'typing', req: `t${i}`, group_id: 'chat' });
    const ev = await b.next((f) => f.type === 'typing');
    expect(ev).toEqual({
      type: 'typing',
      group_id: 'chat',
      user_id: alice.user.id,
      username: alice.user.username,
    });
    const stop = await b.next((f) => f.type === 'typing' && f['stopped'] === true, 0, 10_000);
    const took = Date.now() - started;
    expect(stop).toMatchObject({ user_id: alice.user.id, group_id: 'chat' });
    expect(took).toBeGreaterThanOrEqual(4500);
    expect(took).toBeLessThan(9000);
    // Five frames within a second made one event (and one stop), never stored, never echoed.
    expect(typingOf(b, alice.user.id)).toHaveLength(2);
    expect(typingOf(a, alice.user.id)).toHaveLength(0);
    const h = await b.request({ type: 'history', group_id: 'chat' });
    expect(h['messages']).toEqual([]);
  });

  it('stops at once when the typer leaves; needs a subscription', async () => {
    const a = await ws(alice.token);
    const b = await ws(bob.token);
    a.send({ type: 'typing', req: 'x', group_id: 'chat' });
    await b.next((f) => f.type === 'typing' && !f['stopped']);
    const from = b.frames.length;
    const started = Date.now();
    await a.close();
    await b.next((f) => f.type === 'typing' && f['stopped'] === true, from);
    expect(Date.now() - started).toBeLessThan(2000);
    const c = await ws(alice.token, []);
    expect(await c.request({ type: 'typing', group_id: 'chat' })).toMatchObject({
      type: 'error',
      code: 'not_found',
    });
  });

  it('stops when the typer sends the message, and the next typing is announced at once', async () => {
    const a = await ws(alice.token);
    const b = await ws(bob.token);
    a.send({ type: 'typing', req: 'y1', group_id: 'chat' });
    await b.next((f) => f.type === 'typing' && !f['stopped']);
    const from = b.frames.length;
    const sent = await a.request({ type: 'publish', group_id: 'chat', content: 'done typing' });
    // The stop follows the message itself, well before the 5 s expiry.
    await b.next((f) => f.type === 'typing' && f['stopped'] === true, from, 2000);
    const order = b.frames.slice(from).map((f) => (f.type === 'message' ? `m${f['seq']}` : f.type));
    expect(order.indexOf(`m${sent['seq']}`)).toBeLessThan(order.indexOf('typing'));
    // Typing again right away (inside the 1 s window of the first frame) is news again.
    const again = b.frames.length;
    a.send({ type: 'typing', req: 'y2', group_id: 'chat' });
    await b.next((f) => f.type === 'typing' && !f['stopped'], again, 2000);
  });

  it('closes a workspace socket too far behind with 1013; others get everything', async () => {
    const slow = await ws(alice.token, []);
    const fast = await ws(bob.token, []);
    const raw = (slow.ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    const blob = 'b'.repeat(100_000);
    const closes = async () => (await t.app.metrics.wsBacklogCloses.get()).values[0]?.value ?? 0;
    const before = await closes();
    // Paced by the fast reader, so only the paused socket's backlog grows (past what the
    // kernel's buffers absorb first).
    const bulk = () => fast.frames.filter((f) => f.type === 'bulk').length;
    let sent = 0;
    while ((await closes()) === before) {
      if (sent === 500) throw new Error('the paused socket was never closed');
      t.app.events.toOrg(orgId, { type: 'bulk', id: `b${sent++}`, blob });
      await fast.until(() => bulk() === sent);
    }
    t.app.events.toOrg(orgId, { type: 'bulk', id: `b${sent++}`, blob });
    await fast.until(() => bulk() === sent);
    raw.resume();
    expect((await slow.closed).code).toBe(1013);
    expect(slow.frames.filter((f) => f.type === 'bulk').length).toBeLessThan(sent);
  });

  it('drops typing first for a socket whose backlog is above half the bound', () => {
    // The policy alone, on a socket whose backlog is set by hand: on loopback, how much the
    // kernel buffers before `bufferedAmount` grows is not knowable from a test.
    const max = 1000;
    const sent: string[] = [];
    // The socket's sink as a subscription sees it: its backlog set by hand.
    const socket: Sink & { bufferedAmount: number } = {
      bufferedAmount: 0,
      send: (frame: Frame, done?: () => void) => {
        sent.push(frame.text);
        done?.();
        return frame.data.length;
      },
      close: () => {},
    };
    const sink = new SubscriptionSink(socket, bob.user.id, max, new PendingReplies(), () => {});
    const typing = JSON.stringify({
      type: 'typing',
      group_id: 'g',
      user_id: alice.user.id,
      username: 'a',
    });
    const message = JSON.stringify({ type: 'message', id: 'm', seq: 1 });
    socket.bufferedAmount = 400;
    sink.send(makeFrame('typing', typing));
    expect(sent).toEqual([typing]);
    socket.bufferedAmount = 600;
    sink.send(makeFrame('typing', typing));
    sink.send(makeFrame('message', message));
    expect(sent).toEqual([typing, message]);
  });
});
