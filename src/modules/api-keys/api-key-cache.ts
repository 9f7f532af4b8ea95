import { randomUUID } from 'node:crypto';
import type { ApiKeyRow } from '../../db/schema.js';
import { SCOPES, type Scope } from '../../protocol/api-keys.js';
import { channels } from '../../realtime/channels.js';
import type { Frame, Hub } from '../../realtime/hub.js';
import type { ApiKeyPrincipal } from '../auth/principal.js';
import { hashApiKey, isWellFormedApiKey } from './api-key-secret.js';

/**
 * Turns an API key into its principal without a database query per request, and forgets a
 * revoked key on every node within milliseconds (the session-revocation pattern: a broker
 * channel every node joins for its whole life, backed by the database).
 *
 * Guarantees:
 * - A key seen in the last `entryTtlMs` is answered from memory. Any other well-formed key
 *   costs one indexed query by its hash (concurrent uses of one key share it); malformed
 *   ones none. A hash found in no active row is remembered as unknown for `entryTtlMs` too
 *   (a client retrying with a revoked or mistyped key costs one query, not one per request).
 *   That never hides a new key: its hash is of 256 fresh random bits that no one could have
 *   presented before the row was committed and the key handed out.
 * - After `revoke` returns, this node refuses the key at once; every other node learns it
 *   over the broker. A revoked id is remembered for `keepMs`, longer than any cache entry
 *   lives, so a lookup that was in flight while the key was revoked cannot bring it back.
 * - A node that could not hear a revocation (it started later, Redis was down, a publish
 *   was lost) learns it from the database: `api_keys.revoked_at` is loaded at start, after
 *   every broker reconnection and every `reloadEveryMs`.
 * - Each node, as it learns a revocation over the broker, calls `onRevoked` (the key's open
 *   sockets on that node close). A socket asks `isRevoked` once it listens, so one opened
 *   while its key was being revoked is closed either way.
 * - At most `maxEntries` keys are cached (the oldest entry goes first).
 */
export interface ApiKeyCache {
  authenticate(key: string): Promise<ApiKeyPrincipal | null>;
  isRevoked(keyId: string): boolean;
  /** Ends the key here and on every node (its row is already marked revoked). */
  revoke(orgId: string, keyId: string): void;
  /** Loads the revocations of the last `keepMs`. */
  load(): Promise<void>;
  close(): void;
}

export interface ApiKeyCacheOptions {
  hub: Hub;
  findByHash(hash: string): Promise<ApiKeyRow | undefined>;
  revokedSince(since: Date): Promise<string[]>;
  /** Registers a handler run after every broker reconnection (messages may be lost). */
  onResync(handler: () => void): void;
  entryTtlMs?: number;
  reloadEveryMs?: number;
  maxEntries?: number;
  /** Told on every node of each key revoked there (its sockets must close). */
  onRevoked?(orgId: string, keyId: string): void;
  onError?(err: unknown): void;
}

const EVENT = 'api_keys.revoked';
const DEFAULT_TTL_MS = 5 * 60_000;
const DEFAULT_RELOAD_MS = 30_000;
const DEFAULT_MAX = 10_000;
/** Clocks of nodes and the database differ a little. */
const SKEW_MARGIN_MS = 60_000;

const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

export function toApiKeyPrincipal(row: ApiKeyRow): ApiKeyPrincipal {
  return {
    kind: 'apiKey',
    id: row.id,
    orgId: row.orgId,
    name: row.name,
    // A scope this version does not know (written by a newer one) grants nothing here.
    scopes: row.scopes.filter(isScope),
    groups: row.groupIds,
  };
}

export function createApiKeyCache(opts: ApiKeyCacheOptions): ApiKeyCache {
  const ttlMs = opts.entryTtlMs ?? DEFAULT_TTL_MS;
  const keepMs = ttlMs + SKEW_MARGIN_MS;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX;
  /** Key hash → the principal and when it was read. */
  const entries = new Map<string, { principal: ApiKeyPrincipal; at: number }>();
  /** Revoked key id → until when it is remembered (ms). */
  const revoked = new Map<string, number>();
  const inFlight = new Map<string, Promise<ApiKeyPrincipal | null>>();
  /** Hashes no active key has → when that was read. */
  const unknown = new Map<string, number>();
  const channel = channels.apiKeys();

  const isRevoked = (id: string) => (revoked.get(id) ?? 0) > Date.now();
  function forget(ids: Iterable<string>, until: number) {
    const set = new Set(ids);
    for (const id of set) if ((revoked.get(id) ?? 0) < until) revoked.set(id, until);
    for (const [hash, e] of entries) if (set.has(e.principal.id)) entries.delete(hash);
  }
  function prune() {
    const now = Date.now();
    for (const [id, t] of revoked) if (t <= now) revoked.delete(id);
    for (const [hash, e] of entries) if (now - e.at >= ttlMs) entries.delete(hash);
    for (const [hash, at] of unknown) if (now - at >= ttlMs) unknown.delete(hash);
  }
  /** Bounded: the oldest entry goes first. */
  function remember<V>(map: Map<string, V>, hash: string, value: V) {
    if (map.size >= maxEntries) map.delete(map.keys().next().value!);
    map.set(hash, value);
  }

  const subscriber = {
    deliver(frame: Frame): number {
      try {
        const e = JSON.parse(frame.text) as { type?: unknown; org_id?: unknown; key_ids?: unknown };
        if (e.type !== EVENT || !Array.isArray(e.key_ids)) return 0;
        const ids = e.key_ids.filter((id): id is string => typeof id === 'string');
        forget(ids, Date.now() + keepMs);
        if (typeof e.org_id === 'string') for (const id of ids) opts.onRevoked?.(e.org_id, id);
      } catch (err) {
        opts.onError?.(err);
      }
      return 0;
    },
  };
  opts.hub.join(channel, subscriber);

  async function lookUp(hash: string): Promise<ApiKeyPrincipal | null> {
    const row = await opts.findByHash(hash);
    if (!row) {
      remember(unknown, hash, Date.now());
      return null;
    }
    // Revoked while the query ran: its event came before the answer.
    if (isRevoked(row.id)) return null;
    const principal = toApiKeyPrincipal(row);
    remember(entries, hash, { principal, at: Date.now() });
    return principal;
  }

  let loading: Promise<void> | undefined;
  async function loadOnce() {
    const ids = await opts.revokedSince(new Date(Date.now() - keepMs));
    forget(ids, Date.now() + keepMs);
    prune();
  }
  const load = () => {
    loading ??= loadOnce().finally(() => {
      loading = undefined;
    });
    return loading;
  };
  const reloadQuietly = () => void load().catch((err: unknown) => opts.onError?.(err));
  opts.onResync(reloadQuietly);
  const timer = setInterval(reloadQuietly, opts.reloadEveryMs ?? DEFAULT_RELOAD_MS);
  timer.unref();

  return {
    isRevoked,
    async authenticate(key) {
      if (!isWellFormedApiKey(key)) return null;
      const hash = hashApiKey(key);
      const hit = entries.get(hash);
      if (hit && Date.now() - hit.at < ttlMs && !isRevoked(hit.principal.id)) return hit.principal;
      const missed = unknown.get(hash);
      if (missed !== undefined && Date.now() - missed < ttlMs) return null;
      let pending = inFlight.get(hash);
      if (!pending) {
        pending = lookUp(hash).finally(() => inFlight.delete(hash));
        inFlight.set(hash, pending);
      }
      return pending;
    },
    revoke(orgId, keyId) {
      const message = { type: EVENT, id: randomUUID(), org_id: orgId, key_ids: [keyId] };
      // The hub hands it to this node's subscriber (above) synchronously, then to the broker.
      opts.hub.publish(channel, EVENT, JSON.stringify(message));
    },
    load,
    close() {
      clearInterval(timer);
      opts.hub.leave(channel, subscriber);
    },
  };
}
