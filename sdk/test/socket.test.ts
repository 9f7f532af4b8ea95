import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  OrgHubClient,
  backoffDelay,
  type GroupSocket,
  type MessageEvent,
  type WebSocketCtor,
} from '../src/index.js';
import {
  PASSWORD,
  dropDatabase,
  api,
  createOrg,
  createUser,
  startApp,
  type TestApp,
} from '../../test/helpers/app.js';
import { until } from '../../test/helpers/wait.js';

const WS = WebSocket as unknown as WebSocketCtor;
let t: TestApp;
let orgId: string;
let alice: OrgHubClient;
let bob: OrgHubClient;
let aliceId: string;

async function signIn(url: string, username: string) {
  const c = new OrgHubClient({ baseUrl: url });
  await c.login({ org_id: orgId, username, password: PASSWORD });
  return c;
}

function collect(s: GroupSocket): MessageEvent[] {
  const got: MessageEvent[] = [];
  s.on('message', (m) => got.push(m));
  return got;
}

function once<T>(s: GroupSocket, ev: 'connected' | 'recovered'): Promise<T> {
  return new Promise((resolve) => {
    const off = s.on(ev, (p) => {
      off();
      resolve(p as T);
    });
  });
}

beforeAll(async () => {
  t = await startApp({ keepData: true });
  orgId = (await createOrg(t)).id;
  const a = await createUser(t, orgId, { username: 'alice' });
  aliceId = a.user.id;
  await createUser(t, orgId, { username: 'bob' });
  await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
    token: a.token,
    body: { id: 'general', name: 'General' },
  });
  alice = await signIn(t.url, 'alice');
  bob = await signIn(t.url, 'bob');
});
afterAll(async () => {
  await t?.close();
  if (t) await dropDatabase({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
});

describe('backoff', () => {
  it('is full jitter under an exponential cap', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(400);
    expect(backoffDelay(20, 100, 10_000, () => 0.999)).toBe(9990);
    expect(backoffDelay(5, 100, 10_000, () => 0)).toBe(0);
  });
});

describe('group socket against a real server', () => {
  it('sends with a client_msg_id and resolves on the echo; the other user sees it', async () => {
    const a = alice.group(orgId, 'general', { WebSocket: WS }).connect();
    const b = bob.group(orgId, 'general', { WebSocket: WS }).connect();
    const seenByBob = collect(b);
    await Promise.all([once(a, 'connected'), once(b, 'connected')]);
    const m = await a.send('hello bob');
    expect(m).toMatchObject({ type: 'message', content: 'hello bob', username: 'alice' });
    expect(m.client_msg_id).toBeTruthy();
    await until(() => seenByBob.some((x) => x.id === m.id));
    expect(a.state).toBe('open');
    a.close();
    b.close();
    expect(a.state).toBe('closed');
  });

  it('opts in to presence and task events by default; events: [] gets messages and broadcasts only', async () => {
    const byDefault = alice.group(orgId, 'general', { WebSocket: WS }).connect();
    const seedLike = alice.group(orgId, 'general', { WebSocket: WS, events: [] }).connect();
    const tasks: string[][] = [[], []];
    byDefault.on('task.created', (e) => tasks[0]!.push(e.task.title));
    seedLike.on('task.created', (e) => tasks[1]!.push(e.task.title));
    const seen = [collect(byDefault), collect(seedLike)];
    await Promise.all([once(byDefault, 'connected'), once(seedLike, 'connected')]);
    await alice.createTask(aliceId, { title: 'sdk default events' });
    await until(() => tasks[0]!.length === 1);
    const sender = bob.group(orgId, 'general', { WebSocket: WS }).connect();
    const m = await sender.send('marker');
    await until(() => seen.every((got) => got.some((x) => x.id === m.id)));
    expect(tasks).toEqual([['sdk default events'], []]);
    for (const s of [byDefault, seedLike, sender]) s.close();
  });

  it('survives a server kill and restart on the same data: nothing lost, nothing duplicated', async () => {
    const reader = bob.group(orgId, 'general', {
      WebSocket: WS,
      backoffBaseMs: 50,
      backoffCapMs: 500,
    });
    const got = collect(reader);
    reader.connect();
    await once(reader, 'connected');
    const writer = alice.group(orgId, 'general', {
      WebSocket: WS,
      backoffBaseMs: 50,
      backoffCapMs: 500,
    });
    writer.connect();
    await once(writer, 'connected');
    const sent: Promise<MessageEvent>[] = [];
    for (let i = 0; i < 20; i++) sent.push(writer.send(`before ${i}`));
    await Promise.all(sent.slice(0, 5));
    // Kill the server mid-stream, then start a new one on the same data at a new URL.
    const reuse = { dataDir: t.dataDir, databaseUrl: t.databaseUrl };
    await t.app.close();
    await until(() => reader.state === 'reconnecting' && writer.state === 'reconnecting');
    t = await startApp({ reuse });
    // Point both clients at the new server, as a load balancer would; sockets follow them.
    for (const c of [alice, bob]) c.baseUrl = t.url;
    const recovered = once<{ recovered: boolean }>(reader, 'recovered');
    for (let i = 0; i < 10; i++) sent.push(writer.send(`after ${i}`));
    const all = await Promise.all(sent);
    expect((await recovered).recovered).toBe(true);
    await until(() => got.length >= all.length);
    // Delivery is in seq order, so a late duplicate would arrive before a message sent last.
    const marker = await writer.send('marker');
    await until(() => got.some((m) => m.id === marker.id));
    all.push(marker);
    const ids = got.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(all.map((m) => m.id)));
    const seqs = got.map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    expect(await bob.messageCount(orgId, 'general')).toBeGreaterThanOrEqual(all.length);
    reader.close();
    writer.close();
  });
});
