/**
 * Counts each user's open sockets over the whole cluster, so that `MAX_SOCKETS_PER_USER`
 * holds however the load balancer spreads a user's devices.
 *
 * Guarantees:
 * - `acquire` grants a slot only while the user holds fewer than `max` granted slots on all
 *   nodes together; concurrent acquires on several nodes cannot together exceed `max`.
 * - `release` frees the slot of that connection; releasing twice or an unknown one is harmless.
 * - Slots of a node that stops without releasing (a crash) are freed within 60 s.
 * - While the shared store (Redis) is unreachable the cap is applied per node, and the node's
 *   slots are written back when the store returns; neither call ever throws.
 */
export interface SocketQuota {
  acquire(orgId: string, userId: string, connId: string, max: number): Promise<boolean>;
  release(orgId: string, userId: string, connId: string): Promise<void>;
  /**
   * The users among `userIds` holding a slot on any node (a socket open), in their order.
   * While the shared store is unreachable, this node's own; never throws.
   */
  connected(orgId: string, userIds: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** The node's own slots: the whole truth for one server, the fallback for a cluster. */
export class LocalSlots {
  private readonly byUser = new Map<string, Set<string>>();

  static userKey(orgId: string, userId: string) {
    return `${orgId}\u0000${userId}`;
  }

  count(uk: string): number {
    return this.byUser.get(uk)?.size ?? 0;
  }

  add(uk: string, connId: string) {
    let set = this.byUser.get(uk);
    if (!set) this.byUser.set(uk, (set = new Set()));
    set.add(connId);
  }

  /** Whether the connection held a slot. */
  remove(uk: string, connId: string): boolean {
    const set = this.byUser.get(uk);
    if (!set?.delete(connId)) return false;
    if (set.size === 0) this.byUser.delete(uk);
    return true;
  }

  has(uk: string, connId: string) {
    return this.byUser.get(uk)?.has(connId) ?? false;
  }

  entries(): Array<[orgId: string, userId: string, connIds: string[]]> {
    return [...this.byUser].map(([uk, set]) => {
      const [orgId, userId] = uk.split('\u0000') as [string, string];
      return [orgId, userId, [...set]];
    });
  }
}

/** Nodes that share one scope (the MemoryBus of apps in one process) share their counts. */
const peersByScope = new WeakMap<object, Set<MemorySocketQuota>>();

export class MemorySocketQuota implements SocketQuota {
  private readonly slots = new LocalSlots();
  private readonly peers: Set<MemorySocketQuota>;

  constructor(scope: object = {}) {
    let peers = peersByScope.get(scope);
    if (!peers) peersByScope.set(scope, (peers = new Set()));
    this.peers = peers;
    peers.add(this);
  }

  async acquire(orgId: string, userId: string, connId: string, max: number) {
    const uk = LocalSlots.userKey(orgId, userId);
    if (this.slots.has(uk, connId)) return true;
    let total = 0;
    for (const p of this.peers) total += p.slots.count(uk);
    if (total >= max) return false;
    this.slots.add(uk, connId);
    return true;
  }

  async release(orgId: string, userId: string, connId: string) {
    this.slots.remove(LocalSlots.userKey(orgId, userId), connId);
  }

  async connected(orgId: string, userIds: readonly string[]) {
    return userIds.filter((u) => {
      const uk = LocalSlots.userKey(orgId, u);
      for (const p of this.peers) if (p.slots.count(uk) > 0) return true;
      return false;
    });
  }

  async close() {
    this.peers.delete(this);
  }
}
