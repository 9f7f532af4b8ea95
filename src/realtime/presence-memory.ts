import { LocalConnections, sortUsers, type Presence, type PresentUser } from './presence.js';

/** Nodes that share one scope (the MemoryBus of apps in one process) see each other. */
const peersByScope = new WeakMap<object, Set<MemoryPresence>>();

/**
 * Presence in process memory: exact for a single server, and for several apps in one process
 * when they share a scope. Everything is synchronous, so concurrent joins cannot both be first.
 */
export class MemoryPresence implements Presence {
  private readonly local = new LocalConnections();
  private readonly peers: Set<MemoryPresence>;

  constructor(scope: object = {}) {
    let peers = peersByScope.get(scope);
    if (!peers) peersByScope.set(scope, (peers = new Set()));
    this.peers = peers;
    peers.add(this);
  }

  private elsewhere(gk: string, userId: string): boolean {
    for (const p of this.peers) {
      if (p !== this && p.local.usersOf(gk).some((u) => u.userId === userId)) return true;
    }
    return false;
  }

  async join(orgId: string, groupId: string, connId: string, user: PresentUser) {
    const gk = LocalConnections.groupKey(orgId, groupId);
    const elsewhere = this.elsewhere(gk, user.userId);
    return { first: this.local.add(gk, connId, user) === 'new-user' && !elsewhere };
  }

  async leave(orgId: string, groupId: string, connId: string) {
    const gk = LocalConnections.groupKey(orgId, groupId);
    const gone = this.local.remove(gk, connId);
    return { last: !!gone?.lastHere && !this.elsewhere(gk, gone.userId) };
  }

  async list(orgId: string, groupId: string) {
    const gk = LocalConnections.groupKey(orgId, groupId);
    return sortUsers([...this.peers].flatMap((p) => p.local.usersOf(gk)));
  }

  onExpired(): void {
    // Nodes in one process stop together or close cleanly: nothing ever expires.
  }

  async close() {
    this.peers.delete(this);
  }
}
