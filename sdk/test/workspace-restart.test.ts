import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageEvent, OrgHubClient, WorkspaceSocket } from '../src/index.js';
import {
  createOrg,
  createUser,
  dropDatabase,
  startApp,
  type TestApp,
} from '../../test/helpers/app.js';
import { until } from '../../test/helpers/wait.js';
import {
  FAST,
  assertExactlyOnceInOrder,
  messagesByGroup,
  next,
  signIn,
} from './workspace-helpers.js';

let t: TestApp;
let orgId: string;
let alice: OrgHubClient;
let bob: OrgHubClient;
const GROUPS = ['red', 'blue'] as const;

beforeAll(async () => {
  t = await startApp({ keepData: true });
  orgId = (await createOrg(t)).id;
  await createUser(t, orgId, { username: 'alice' });
  await createUser(t, orgId, { username: 'bob' });
  alice = await signIn(t.url, orgId, 'alice');
  bob = await signIn(t.url, orgId, 'bob');
  for (const id of GROUPS) await alice.createGroup(orgId, { id, name: id });
});
afterAll(async () => {
  await t?.close();
  if (t) await dropDatabase({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
});

describe('WorkspaceSocket across a server kill and restart', () => {
  it('loses no message and duplicates none, in two groups, for reader and writer', async () => {
    const reader: WorkspaceSocket = bob.workspace(FAST).connect();
    const got = messagesByGroup(reader);
    await Promise.all(GROUPS.map((g) => reader.subscribe(g)));
    // The writer is subscribed to one group (its replies come in that stream) and not the
    // other (its replies come on their own).
    const writer: WorkspaceSocket = alice.workspace(FAST).connect();
    const own = messagesByGroup(writer);
    await writer.subscribe('red');

    const sent: Promise<MessageEvent>[] = [];
    const send = (label: string) => {
      for (const g of GROUPS) sent.push(writer.publish(g, `${label} ${g}`));
    };
    for (let i = 0; i < 15; i++) send(`before ${i}`);
    await Promise.all(sent.slice(0, 6));

    // Stop the server with publishes in flight, then start a new one on the same data at a
    // new address, as a restarted node behind a load balancer.
    const reuse = { dataDir: t.dataDir, databaseUrl: t.databaseUrl };
    const down = Promise.all([next(reader, 'disconnected'), next(writer, 'disconnected')]);
    await t.app.close();
    for (const d of await down) expect(d.willReconnect).toBe(true);
    for (let i = 0; i < 5; i++) send(`while down ${i}`);
    t = await startApp({ reuse, keepData: true });
    for (const c of [alice, bob]) c.baseUrl = t.url;

    const recovered = new Map<string, boolean>();
    reader.on('recovered', (r) => recovered.set(r.group_id, r.recovered));
    for (let i = 0; i < 10; i++) send(`after ${i}`);
    const all = await Promise.all(sent);
    await until(() => recovered.size === GROUPS.length, 15_000, 'both groups resubscribed');
    expect([...recovered.values()]).toEqual([true, true]);

    // Delivery is in seq order per group, so a late duplicate would come before a last marker.
    for (const g of GROUPS) all.push(await writer.publish(g, `marker ${g}`));
    await until(() =>
      GROUPS.every((g) => (got.get(g) ?? []).some((m) => m.content === `marker ${g}`)),
    );
    await until(() => (own.get('red') ?? []).some((m) => m.content === 'marker red'));
    for (const g of GROUPS) {
      const want = all.filter((m) => m.group_id === g);
      expect(new Set(want.map((m) => m.id)).size).toBe(31);
      expect(assertExactlyOnceInOrder(got.get(g)!, want)).toEqual([]);
      expect(got.get(g)!.length).toBe(want.length);
      // Stored once each: the server holds exactly what was acknowledged.
      const stored = await bob.messages(orgId, g, { limit: 100 });
      expect(stored.messages.map((m) => m.id).sort()).toEqual(want.map((m) => m.id).sort());
    }
    // The writer's own subscription got its messages once each, in order, too.
    const red = all.filter((m) => m.group_id === 'red');
    expect(assertExactlyOnceInOrder(own.get('red')!, red)).toEqual([]);
    expect(own.get('red')!.length).toBe(red.length);
    expect(own.get('blue')).toBeUndefined();
    reader.close();
    writer.close();
  });
});
