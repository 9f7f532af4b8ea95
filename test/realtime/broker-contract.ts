import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, BrokerMessage } from '../../src/realtime/broker.js';
import { channels } from '../../src/realtime/channels.js';

// The one Broker contract suite; test files run it over each implementation and setup.

export interface BrokerImpl {
  name: string;
  /** Two nodes on one transport. */
  nodes(): Promise<[Broker, Broker]>;
}

export const org = () => `org-${randomUUID().slice(0, 8)}`;

export /** Everything a broker hands to its handler, with a way to await what is still to come. */
function inbox(broker: Broker) {
  const got: BrokerMessage[] = [];
  const waiters: Array<{ pred: (m: BrokerMessage) => boolean; resolve: () => void }> = [];
  broker.onMessage((m) => {
    got.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    got,
    frames: () => got.map((m) => m.frame),
    until(pred: (m: BrokerMessage) => boolean): Promise<void> {
      if (got.some(pred)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    untilFrame(frame: string) {
      return this.until((m) => m.frame === frame);
    },
  };
}

export function brokerContract(impl: BrokerImpl) {
  describe(`Broker contract: ${impl.name}`, () => {
    let a: Broker;
    let b: Broker;
    afterEach(async () => {
      await a.close();
      await b.close();
    });
    const setup = async () => {
      [a, b] = await impl.nodes();
      return { inA: inbox(a), inB: inbox(b) };
    };

    it('carries a message to the other node, never back to its publisher', async () => {
      const { inA, inB } = await setup();
      const ch = channels.group(org(), 'general');
      await a.subscribe(ch);
      await b.subscribe(ch);
      await a.publish({ channel: ch, frame: '{"n":"from-a|with|bars"}', seq: 7 });
      await inB.untilFrame('{"n":"from-a|with|bars"}');
      expect(inB.got).toEqual([{ channel: ch, frame: '{"n":"from-a|with|bars"}', seq: 7 }]);
      // B's message is published after A's, so A's echo (if any) would have arrived first.
      await b.publish({ channel: ch, frame: 'from-b' });
      await inA.untilFrame('from-b');
      expect(inA.got).toEqual([{ channel: ch, frame: 'from-b' }]);
      expect(a.nodeId).not.toBe(b.nodeId);
    });

    it('carries the frame type beside the frame, with or without a seq', async () => {
      const { inB } = await setup();
      const ch = channels.group(org(), 'general');
      await a.subscribe(ch);
      await b.subscribe(ch);
      await a.publish({ channel: ch, type: 'message', frame: '{"t":1}', seq: 3 });
      await a.publish({ channel: ch, type: 'presence.join', frame: '{"t":2}' });
      await inB.untilFrame('{"t":2}');
      expect(inB.got).toEqual([
        { channel: ch, type: 'message', frame: '{"t":1}', seq: 3 },
        { channel: ch, type: 'presence.join', frame: '{"t":2}' },
      ]);
    });

    it('keeps the publish order of one channel', async () => {
      const { inA } = await setup();
      const ch = channels.group(org(), 'ordered');
      await a.subscribe(ch);
      const n = 300;
      await Promise.all(
        Array.from({ length: n }, (_, i) => b.publish({ channel: ch, frame: `m${i}`, seq: i + 1 })),
      );
      await inA.until((m) => m.seq === n);
      expect(inA.got.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    });

    it('delivers only the channels a node subscribed to', async () => {
      const { inA } = await setup();
      const o = org();
      await a.subscribe(channels.group(o, 'mine'));
      await b.publish({ channel: channels.group(o, 'other'), frame: 'not-for-a' });
      await b.publish({ channel: channels.org(o), frame: 'org-wide' });
      await b.publish({ channel: channels.group(o, 'mine'), frame: 'for-a' });
      await inA.untilFrame('for-a');
      expect(inA.frames()).toEqual(['for-a']);
    });

    it('stops delivery after unsubscribe; subscribe is idempotent and not counted', async () => {
      const { inA } = await setup();
      const o = org();
      const ch = channels.group(o, 'g');
      const other = channels.user(o, randomUUID());
      await a.subscribe(ch);
      await a.subscribe(ch);
      await a.subscribe(other);
      await b.publish({ channel: ch, frame: 'once' });
      await b.publish({ channel: other, frame: 'marker-1' });
      await inA.untilFrame('marker-1');
      expect(inA.frames()).toEqual(['once', 'marker-1']);

      // One unsubscribe undoes any number of subscribes; a second one is harmless.
      await a.unsubscribe(ch);
      await a.unsubscribe(ch);
      await b.publish({ channel: ch, frame: 'after-unsubscribe' });
      await b.publish({ channel: other, frame: 'marker-2' });
      await inA.untilFrame('marker-2');
      expect(inA.frames()).toEqual(['once', 'marker-1', 'marker-2']);
    });

    it('answers ping while up; publish and ping reject after close', async () => {
      await setup();
      await expect(a.ping()).resolves.toBeUndefined();
      await a.close();
      await expect(a.publish({ channel: channels.org(org()), frame: 'x' })).rejects.toThrow();
      await expect(a.ping()).rejects.toThrow();
    });
  });
}
