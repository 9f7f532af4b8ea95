/** A user online in a group. */
export interface PresentUser {
  userId: string;
  username: string;
}

/**
 * Who is online in each group, over every device and every node.
 *
 * Guarantees:
 * - A user is online in a group while at least one of their sockets on that group is
 *   connected, on any node. `join` answers `first: true` exactly for the connection that made
 *   the user online (no other connection of theirs was present), and `leave` answers
 *   `last: true` exactly for the one that made them offline: under concurrent joins or leaves
 *   on several nodes exactly one caller sees it. These drive `presence.join` / `presence.leave`.
 * - `join` and `leave` are keyed by a connection id unique on the node: a second `join` of the
 *   same connection or a `leave` of an unknown one changes nothing (and reports false).
 * - The entries of a node that stops without leaving (a crash) disappear within 60 s; `close`
 *   (a clean shutdown) removes them at once, without reporting any `last`.
 * - While the shared store (Redis) is unreachable, join/leave still answer from what this node
 *   knows and never throw; the node re-registers its entries when the store returns.
 */
export interface Presence {
  join(
    orgId: string,
    groupId: string,
    connId: string,
    user: PresentUser,
  ): Promise<{ first: boolean }>;
  leave(orgId: string, groupId: string, connId: string): Promise<{ last: boolean }>;
  /** The users online in a group, each once, sorted by username. */
  list(orgId: string, groupId: string): Promise<PresentUser[]>;
  /**
   * Users who went offline because the node holding their last connection stopped without
   * leaving: reported once, by one node that still has sockets in the group, within 60 s
   * (the in-process implementation has no such nodes and never calls it).
   */
  onExpired(handler: (orgId: string, groupId: string, user: PresentUser) => void): void;
  close(): Promise<void>;
}

/**
 * What one node knows: its own connections per group and user. Both implementations use it
 * so that only a node's first and last connection of a user reach the shared store.
 */
export class LocalConnections {
  /** group key → user id → connection ids */
  private readonly groups = new Map<
    string,
    Map<string, { username: string; conns: Set<string> }>
  >();
  /** connection key → user id, to find the user on leave */
  private readonly owners = new Map<string, string>();

  static groupKey(orgId: string, groupId: string): string {
    return `${orgId}\u0000${groupId}`;
  }

  /** Returns 'new-user' when this is the user's first connection to the group on this node. */
  add(gk: string, connId: string, user: PresentUser): 'new-user' | 'more' | 'duplicate' {
    const ck = `${gk}\u0000${connId}`;
    if (this.owners.has(ck)) return 'duplicate';
    this.owners.set(ck, user.userId);
    let users = this.groups.get(gk);
    if (!users) this.groups.set(gk, (users = new Map()));
    const entry = users.get(user.userId);
    if (entry) {
      entry.conns.add(connId);
      return 'more';
    }
    users.set(user.userId, { username: user.username, conns: new Set([connId]) });
    return 'new-user';
  }

  /** Returns the user id when that was the user's last connection on this node. */
  remove(gk: string, connId: string): { userId: string; lastHere: boolean } | null {
    const ck = `${gk}\u0000${connId}`;
    const userId = this.owners.get(ck);
    if (userId === undefined) return null;
    this.owners.delete(ck);
    const users = this.groups.get(gk)!;
    const entry = users.get(userId)!;
    entry.conns.delete(connId);
    if (entry.conns.size > 0) return { userId, lastHere: false };
    users.delete(userId);
    if (users.size === 0) this.groups.delete(gk);
    return { userId, lastHere: true };
  }

  usersOf(gk: string): PresentUser[] {
    return [...(this.groups.get(gk) ?? new Map()).entries()].map(([userId, e]) => ({
      userId,
      username: e.username,
    }));
  }

  groupKeys(): string[] {
    return [...this.groups.keys()];
  }

  static splitGroupKey(gk: string): [orgId: string, groupId: string] {
    const [orgId, groupId] = gk.split('\u0000');
    return [orgId!, groupId!];
  }
}

export function sortUsers(users: Iterable<PresentUser>): PresentUser[] {
  const byId = new Map<string, PresentUser>();
  for (const u of users) byId.set(u.userId, u);
  return [...byId.values()].sort(
    (x, y) => x.username.localeCompare(y.username) || x.userId.localeCompare(y.userId),
  );
}
