import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiKeyRow } from '../../src/db/schema.js';
import { createApiKeyCache, type ApiKeyCache } from '../../src/modules/api-keys/api-key-cache.js';
import { hashApiKey, newApiKey } from '../../src/modules/api-keys/api-key-secret.js';
import { createLastUsedRecorder } from '../../src/modules/api-keys/last-used.js';
import { MemoryBroker, MemoryBus } from '../../src/realtime/broker-memory.js';
import { Hub } from '../../src/realtime/hub.js';

/**
 * The key cache's guarantees on two hubs joined by the in-process bus (two nodes), with the
 * lookup by hash as a function the test controls: a lookup in flight during a revocation,
 * shared lookups, revocations missed over the broker and learnt from the store. And the
 * last-used recorder: one write per flush, uses kept when a write fails.
 */

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function row(key: string, over: Partial<ApiKeyRow> = {}): ApiKeyRow {
  return {
    id: randomUUID(),
    orgId: 'acme',
    name: 'bot',
    scopes: ['messages:read', 'some:future-scope'],
    groupIds: null,
    keyHash: hashApiKey(key),
    keyPrefix: key.slice(0, 12),
    createdBy: null,
    createdAt: new Date(),
    lastUsedAt: null,
    revokedAt: null,
    ...over,
  };
}

/** A deferred answer, so that a test decides when the "database" replies. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function node(
  bus: MemoryBus,
  lookUp: (hash: string) => Promise<ApiKeyRow | undefined>,
  revokedSince: () => Promise<string[]> = async () => [],
): { cache: ApiKeyCache; lookups: () => number } {
  const hub = new Hub({ broker: new MemoryBroker(bus), store: { framesAfter: async () => [] } });
  let n = 0;
  const cache = createApiKeyCache({
    hub,
    findByHash: (hash) => {
      n++;
      return lookUp(hash);
    },
    revokedSince,
    onResync: () => {},
  });
  cleanups.push(() => {
    cache.close();
    hub.close();
  });
  return { cache, lookups: () => n };
}

describe('API key cache', () => {
  it('answers from memory after the first use; concurrent uses share one lookup', async () => {
    const { key } = newApiKey();
    const r = row(key);
    const { cache, lookups } = node(new MemoryBus(), async () => r);
    const [p1, p2] = await Promise.all([cache.authenticate(key), cache.authenticate(key)]);
    expect(p1).toEqual({
      kind: 'apiKey',
      id: r.id,
      orgId: 'acme',
      name: 'bot',
      // A scope this version does not know grants nothing.
      scopes: ['messages:read'],
      groups: null,
    });
    expect(p2).toBe(p1);
    for (let i = 0; i < 10; i++) expect(await cache.authenticate(key)).toEqual(p1);
    expect(lookups()).toBe(1);
    // Malformed keys are refused without a lookup.
    expect(await cache.authenticate('ohk_short')).toBeNull();
    expect(await cache.authenticate(`${key}x`)).toBeNull();
    expect(lookups()).toBe(1);
  });

  it('an unknown key costs one lookup however often it is presented', async () => {
    const { key } = newApiKey();
    const { cache, lookups } = node(new MemoryBus(), async () => undefined);
    for (let i = 0; i < 10; i++) expect(await cache.authenticate(key)).toBeNull();
    expect(lookups()).toBe(1);
    // Another key is looked up on its own.
    expect(await cache.authenticate(newApiKey().key)).toBeNull();
    expect(lookups()).toBe(2);
  });

  it('a revocation heard while a lookup is in flight wins: refused, and not cached', async () => {
    const { key } = newApiKey();
    const r = row(key);
    const bus = new MemoryBus();
    let answer = deferred<ApiKeyRow | undefined>();
    const b = node(bus, () => answer.promise);
    const a = node(bus, async () => r);
    const pending = b.cache.authenticate(key);
    a.cache.revoke('acme', r.id);
    await new Promise((resolve) => setImmediate(resolve));
    expect(b.cache.isRevoked(r.id)).toBe(true);
    // The "database" read the row before the revocation committed.
    answer.resolve(r);
    expect(await pending).toBeNull();
    answer = deferred();
    const again = b.cache.authenticate(key);
    answer.resolve(r);
    expect(await again).toBeNull();
    expect(b.lookups()).toBe(2);
  });

  it('a revocation on one node drops the key cached on the other', async () => {
    const { key } = newApiKey();
    const r = row(key);
    const bus = new MemoryBus();
    const a = node(bus, async () => r);
    const b = node(bus, async () => r);
    expect(await b.cache.authenticate(key)).not.toBeNull();
    a.cache.revoke('acme', r.id);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await b.cache.authenticate(key)).toBeNull();
    expect(await a.cache.authenticate(key)).toBeNull();
  });

  it('a revocation missed over the broker is learnt from the store on load', async () => {
    const { key } = newApiKey();
    const r = row(key);
    const revoked: string[] = [];
    // Its own bus: it hears nobody's revocation.
    const lonely = node(
      new MemoryBus(),
      async () => r,
      async () => revoked,
    );
    expect(await lonely.cache.authenticate(key)).not.toBeNull();
    revoked.push(r.id);
    await lonely.cache.load();
    expect(await lonely.cache.authenticate(key)).toBeNull();
  });
});

describe('last-used recorder', () => {
  it('writes each key once per flush, the latest use; a failed write is kept for the next', async () => {
    const writes: Array<Map<string, Date>> = [];
    let fail = true;
    const recorder = createLastUsedRecorder({
      flushEveryMs: 3_600_000,
      write: async (used) => {
        if (fail) throw new Error('database down');
        writes.push(new Map(used));
      },
    });
    cleanups.push(() => void recorder.close().catch(() => {}));
    recorder.used('k1');
    recorder.used('k2');
    await expect(recorder.flush()).rejects.toThrow('database down');
    fail = false;
    recorder.used('k1');
    const latest = Date.now();
    await recorder.flush();
    expect(writes).toHaveLength(1);
    expect([...writes[0]!.keys()].sort()).toEqual(['k1', 'k2']);
    expect(writes[0]!.get('k1')!.getTime()).toBeGreaterThanOrEqual(latest - 5);
    await recorder.flush();
    expect(writes).toHaveLength(1);
  });
});
