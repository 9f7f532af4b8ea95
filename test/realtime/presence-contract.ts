import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Presence } from '../../src/realtime/presence.js';

// The one Presence contract suite; test files run it over each implementation and setup.

export interface PresenceImpl {
  name: string;
  /** Two nodes sharing one store. */
  nodes(): Promise<[Presence, Presence]>;
}

export const ids = () => ({ org: `org-${randomUUID().slice(0, 8)}`, group: 'general' });
export const user = (username: string) => ({ userId: randomUUID(), username });

export function presenceContract(impl: PresenceImpl) {
  describe(`Presence contract: ${impl.name}`, () => {
    let a: Presence;
    let b: Presence;
    afterEach(async () => {
      await a.close();
      await b.close();
    });

    it('is online while any socket on any node is connected; first and last are reported once', async () => {
      [a, b] = await impl.nodes();
      const { org, group } = ids();
      const alice = user('alice');
      expect(await a.join(org, group, 'a1', alice)).toEqual({ first: true });
      expect(await a.join(org, group, 'a2', alice)).toEqual({ first: false });
      expect(await b.join(org, group, 'b1', alice)).toEqual({ first: false });
      expect(await b.list(org, group)).toEqual([alice]);

      expect(await a.leave(org, group, 'a1')).toEqual({ last: false });
      expect(await a.leave(org, group, 'a2')).toEqual({ last: false });
      expect(await a.list(org, group)).toEqual([alice]);
      expect(await b.leave(org, group, 'b1')).toEqual({ last: true });
      expect(await a.list(org, group)).toEqual([]);
      expect(await b.list(org, group)).toEqual([]);
    });

    it('lists every online user once, sorted by username, per group and per org', async () => {
      [a, b] = await impl.nodes();
      const { org, group } = ids();
      const [zoe, bob, amy] = [user('zoe'), user('bob'), user('amy')];
      await a.join(org, group, 'c1', zoe);
      await b.join(org, group, 'c2', bob);
      await b.join(org, group, 'c3', zoe);
      await a.join(org, 'other', 'c4', amy);
      await b.join(`${org}-x`, group, 'c5', amy);
      expect(await a.list(org, group)).toEqual([bob, zoe]);
      expect(await b.list(org, 'other')).toEqual([amy]);
      expect(await a.list(`${org}-x`, group)).toEqual([amy]);
    });

    it('ignores a repeated join and a leave of an unknown connection', async () => {
      [a, b] = await impl.nodes();
      const { org, group } = ids();
      const carl = user('carl');
      expect(await a.join(org, group, 'c1', carl)).toEqual({ first: true });
      expect(await a.join(org, group, 'c1', carl)).toEqual({ first: false });
      expect(await a.leave(org, group, 'nope')).toEqual({ last: false });
      expect(await b.leave(org, group, 'c1')).toEqual({ last: false });
      expect(await b.list(org, group)).toEqual([carl]);
      expect(await a.leave(org, group, 'c1')).toEqual({ last: true });
      expect(await a.leave(org, group, 'c1')).toEqual({ last: false });
    });

    it('reports exactly one first and one last under concurrent joins and leaves on two nodes', async () => {
      [a, b] = await impl.nodes();
      const { org, group } = ids();
      const dan = user('dan');
      const joins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).join(org, group, `c${i}`, dan)),
      );
      expect(joins.filter((j) => j.first)).toHaveLength(1);
      const leaves = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).leave(org, group, `c${i}`)),
      );
      expect(leaves.filter((l) => l.last)).toHaveLength(1);
      expect(await a.list(org, group)).toEqual([]);
    });

    it('close removes the node’s entries at once', async () => {
      [a, b] = await impl.nodes();
      const { org, group } = ids();
      const [eve, fay] = [user('eve'), user('fay')];
      await a.join(org, group, 'c1', eve);
      await b.join(org, group, 'c2', fay);
      await a.close();
      expect(await b.list(org, group)).toEqual([fay]);
      expect(await b.join(org, group, 'c3', eve)).toEqual({ first: true });
    });
  });
}
