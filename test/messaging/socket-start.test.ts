import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createGroupService } from '../../src/modules/groups/groups.service.js';
import {
  createMessageService,
  messageGapSource,
} from '../../src/modules/messages/messages.service.js';
import { lastSeqOf } from '../../src/modules/messages/messages.repo.js';
import { createMetrics } from '../../src/modules/ops/metrics.js';
import { MemoryBroker, MemoryBus } from '../../src/realtime/broker-memory.js';
import type { GapSource } from '../../src/realtime/hub.js';
import { Hub } from '../../src/realtime/hub.js';
import { SocketSink } from '../../src/ws/engine/sink.js';
import { parseEvents } from '../../src/ws/protocols/group-events.js';
import { openGroupSocket, type GroupSeedDeps } from '../../src/ws/protocols/group-seed.js';
import { api, createOrg, startApp, type TestApp } from '../helpers/app.js';
import { until } from '../helpers/wait.js';

// Issue 16, the two failures of the cluster fault suite ("s0: gap, seq 2 after 0"; a sender on
// a restarted node that got no ack at all): two sockets of one node start on a group the hub
// does not follow yet, so each reads its starting point from the store. The one whose replay
// read came first (before seq 1 committed) finished after the other had replayed seq 1 and
// told the hub to start after it; holding nothing in its buffer, it went live at 0. Seq 1 then
// never reached it (when it was its own message, its sender waited for an ack that never
// came) and the next live seq, 2, came with a hole. Replies to two reads come back in any
// order on a loaded machine, or on a pool that opens new connections (a node just restarted,
// a PostgreSQL restart). Here the first replay's answer is held until the second socket is
// live: that order made certain.
describe('two sockets starting at once on one node', () => {
  let t: TestApp;
  let wss: WebSocketServer;
  let hub: Hub;
  const clients: WebSocket[] = [];

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    hub?.close();
    await new Promise((r) => wss?.close(r));
    await t.close();
  });

  it('the one whose replay answered last still gets every seq, in order', async () => {
    const db = t.app.database.db;
    const retentionMs = t.app.config.messageRetentionMs;
    const orgId = (await createOrg(t)).id;
    const groupId = 'race';
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: t.operatorToken,
      body: { id: groupId, name: groupId },
    });
    const store = messageGapSource(db, retentionMs);
    hub = new Hub({ broker: new MemoryBroker(new MemoryBus()), store });
    // The first replay read answers only when released (its rows read at once, as the store
    // had them then): the real store behind a gate, not a stand-in for it.
    let firstRead: () => void = () => {};
    const firstReadDone = new Promise<void>((r) => (firstRead = r));
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    let replays = 0;
    const gated: GapSource = {
      async framesAfter(...args) {
        const frames = await store.framesAfter(...args);
        if (replays++ === 0) {
          firstRead();
          await released;
        }
        return frames;
      },
    };
    const groups = createGroupService(db);
    const metrics = createMetrics({ defaultMetrics: false });
    const messages = createMessageService({
      db,
      hub,
      groups,
      metrics,
      history: gated,
      retentionMs,
      maxMessageChars: t.app.config.maxMessageChars,
    });
    const access = await groups.access({ kind: 'operator' }, orgId, groupId);
    const starts: Promise<void>[] = [];
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const log = pino({ level: 'silent' });
    const deps: GroupSeedDeps = {
      groups,
      messages,
      metrics,
      log,
      session: { hub, metrics, log, rateLimit: 1000, currentUser: async () => undefined },
      stream: { hub, messages, metrics, log, maxBacklogBytes: 1 << 20 },
    };
    wss.on('connection', (ws) => {
      const sink = new SocketSink(ws, undefined, {
        maxBacklogBytes: 1 << 20,
        backlogReason: 'too far behind',
        onBacklog: () => {},
      });
      const session = openGroupSocket({ id: `c${starts.length}`, sink }, deps, {
        principal: { kind: 'operator' },
        access,
        orgId,
        groupId,
        sinceSeq: 0,
        clientId: null,
        events: parseEvents(null),
      });
      ws.on('message', (data, isBinary) => session.receive(data as Buffer, isBinary));
      ws.on('close', () => session.detach());
      starts.push(Promise.resolve(session.start()));
    });
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const open = async () => {
      const ws = new WebSocket(url);
      clients.push(ws);
      const seqs: number[] = [];
      ws.on('message', (data) => {
        const f = JSON.parse(String(data)) as { type: string; seq?: number };
        if (f.type === 'message' && f.seq !== undefined) seqs.push(f.seq);
      });
      await new Promise((r) => ws.once('open', r));
      return { ws, seqs };
    };
    const post = (content: string) =>
      messages.store(access, { content, clientMsgId: null }, 'http');

    const late = await open(); // replays first: nothing yet, its answer held
    await firstReadDone;
    // Its own message, seq 1, while it still replays: the hub holds it, as no socket has told
    // it where to start yet.
    late.ws.send(JSON.stringify({ content: 'one', client_msg_id: 'm1' }));
    await until(async () => (await lastSeqOf(db, orgId, groupId)) === 1);
    const early = await open(); // replays seq 1, and the hub starts after it
    await until(() => early.seqs.length === 1);
    await starts[1];
    release();
    await starts[0];
    await post('two');
    await until(() => early.seqs.length === 2 && late.seqs.includes(2));
    expect(early.seqs).toEqual([1, 2]);
    // Before the fix: [2], no echo of its own message, then a hole before seq 2.
    expect(late.seqs).toEqual([1, 2]);
  });
});
