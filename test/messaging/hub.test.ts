import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertMessage } from '../../src/modules/messages/messages.repo.js';
import { messageGapSource } from '../../src/modules/messages/messages.service.js';
import { MemoryBroker, MemoryBus } from '../../src/realtime/broker-memory.js';
import { channels } from '../../src/realtime/channels.js';
import { Hub, type Frame, type Subscriber } from '../../src/realtime/hub.js';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { until } from '../helpers/wait.js';

/** A broker that records what the hub asks of it (the real in-memory one underneath). */
class RecordingBroker extends MemoryBroker {
  readonly calls: string[] = [];
  override async subscribe(channel: string) {
    this.calls.push(`sub ${channel}`);
    return super.subscribe(channel);
  }
  override async unsubscribe(channel: string) {
    this.calls.push(`unsub ${channel}`);
    return super.unsubscribe(channel);
  }
}

class Recorder implements Subscriber {
  readonly frames: Frame[] = [];
  deliver(frame: Frame) {
    this.frames.push(frame);
    return frame.data.length;
  }
  seqs() {
    return this.frames.map((f) => f.seq);
  }
}

describe('hub', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let groupNo = 0;

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
  });
  afterAll(() => t.close());

  /** A group with `n` stored messages that were never published (as if the broker lost them). */
  async function groupWith(n: number) {
    const groupId = `h${groupNo++}`;
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: groupId, name: groupId },
    });
    const frames = new Map<number, string>();
    for (let i = 0; i < n; i++) {
      const r = await insertMessage(t.app.database.db, orgId, groupId, {
        id: crypto.randomUUID(),
        userId: alice.user.id,
        username: alice.user.username,
        clientId: null,
        clientMsgId: null,
        content: `m${i + 1}`,
        createdAt: new Date(),
      });
      frames.set(
        r!.row.seq,
        JSON.stringify({ type: 'message', seq: r!.row.seq, content: `m${i + 1}` }),
      );
    }
    return { channel: channels.group(orgId, groupId), frames };
  }

  function makeHub(bus = new MemoryBus()) {
    const broker = new RecordingBroker(bus);
    let fills = 0;
    const hub = new Hub({
      broker,
      store: messageGapSource(t.app.database.db, t.app.config.messageRetentionMs),
      gapWaitMs: 40,
      onGapFill: () => fills++,
    });
    return { hub, broker, fills: () => fills };
  }

  it('delivers out-of-order arrivals in seq order without touching the store', async () => {
    const { channel, frames } = await groupWith(4);
    const { hub, fills } = makeHub();
    const sub = new Recorder();
    hub.join(channel, sub);
    hub.seed(channel, 0);
    for (const seq of [2, 1, 4, 3]) hub.receive({ channel, frame: frames.get(seq)!, seq });
    expect(sub.seqs()).toEqual([1, 2, 3, 4]);
    hub.receive({ channel, frame: frames.get(2)!, seq: 2 });
    expect(sub.seqs()).toEqual([1, 2, 3, 4]);
    expect(fills()).toBe(0);
    hub.close();
  });

  it('waits briefly on a gap, then fills it from the store, in order', async () => {
    const { channel, frames } = await groupWith(5);
    const { hub, fills } = makeHub();
    const a = new Recorder();
    const b = new Recorder();
    hub.join(channel, a);
    hub.join(channel, b);
    hub.seed(channel, 0);
    hub.receive({ channel, frame: frames.get(1)!, seq: 1 });
    hub.receive({ channel, frame: frames.get(4)!, seq: 4 }); // 2 and 3 were lost
    expect(a.seqs()).toEqual([1]);
    // The store is the truth: the fill brings everything committed after seq 1, 5 included.
    await until(() => a.frames.length === 5);
    expect(a.seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(b.seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.parse(a.frames[1]!.text)).toMatchObject({ type: 'message', seq: 2, content: 'm2' });
    // The same frame object goes to every subscriber: encoded once per broadcast.
    expect(a.frames[3]).toBe(b.frames[3]);
    expect(fills()).toBe(1);
    hub.receive({ channel, frame: frames.get(5)!, seq: 5 }); // late: already delivered
    expect(a.seqs()).toEqual([1, 2, 3, 4, 5]);
    hub.close();
  });

  it('holds frames until told where subscribers start, then releases what follows', async () => {
    const { channel, frames } = await groupWith(3);
    const { hub } = makeHub();
    const sub = new Recorder();
    hub.join(channel, sub);
    hub.receive({ channel, frame: frames.get(3)!, seq: 3 });
    hub.receive({ channel, frame: frames.get(2)!, seq: 2 });
    expect(sub.frames).toEqual([]);
    hub.seed(channel, 1);
    expect(sub.seqs()).toEqual([2, 3]);
    hub.close();
  });

  it('frames without a seq (broadcasts, task events) go straight through', async () => {
    const { hub } = makeHub();
    const sub = new Recorder();
    const org = channels.org(orgId);
    hub.join(org, sub);
    hub.publish(org, 'broadcast', '{"type":"broadcast","id":"x"}');
    expect(sub.frames.map((f) => f.text)).toEqual(['{"type":"broadcast","id":"x"}']);
    hub.close();
  });

  it('holds a broker subscription exactly while it has a local subscriber, and hears other nodes', async () => {
    const bus = new MemoryBus();
    const one = makeHub(bus);
    const two = makeHub(bus);
    const ch = channels.user(orgId, alice.user.id);
    const a = new Recorder();
    const b = new Recorder();
    one.hub.join(ch, a);
    one.hub.join(ch, b);
    expect(one.broker.calls).toEqual([`sub ${ch}`]);
    two.hub.publish(ch, 'task.created', '{"type":"task.created","id":"1"}');
    await until(() => a.frames.length === 1);
    expect(b.frames.length).toBe(1);
    one.hub.leave(ch, a);
    expect(one.broker.calls).toEqual([`sub ${ch}`]);
    one.hub.leave(ch, b);
    expect(one.broker.calls).toEqual([`sub ${ch}`, `unsub ${ch}`]);
    two.hub.publish(ch, 'task.created', '{"type":"task.created","id":"2"}');
    one.hub.publish(ch, 'task.created', '{"type":"task.created","id":"3"}');
    expect(a.frames.length + b.frames.length).toBe(2);
    one.hub.close();
    two.hub.close();
  });
});
