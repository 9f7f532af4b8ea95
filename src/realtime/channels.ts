import { isSlug, isUuid } from '../shared/ids.js';

/**
 * The one place that names channels. Ids are validated again here so that no caller can
 * build a channel (or a Redis key derived from one) out of unchecked input; every name is
 * prefixed by its org so that a cluster can shard by tenant.
 */
function slug(id: string, what: string): string {
  if (!isSlug(id)) throw new Error(`invalid ${what} id for a channel name`);
  return id;
}
function uuid(id: string, what: string): string {
  if (!isUuid(id)) throw new Error(`invalid ${what} id for a channel name`);
  return id.toLowerCase();
}

export const channels = {
  group: (orgId: string, groupId: string) =>
    `o:{${slug(orgId, 'org')}}:g:${slug(groupId, 'group')}`,
  org: (orgId: string) => `o:{${slug(orgId, 'org')}}:all`,
  user: (orgId: string, userId: string) => `o:{${slug(orgId, 'org')}}:u:${uuid(userId, 'user')}`,
  /** One API key's sockets (its revocation closes them; each node delivers it locally). */
  apiKey: (orgId: string, keyId: string) => `o:{${slug(orgId, 'org')}}:k:${uuid(keyId, 'API key')}`,
  /** Ended sessions, for every node (not an org's: every node joins it for its whole life). */
  sessions: () => 'sys:sessions',
  /** Revoked API keys, for every node (joined for a node's whole life, like `sessions`). */
  apiKeys: () => 'sys:api-keys',
};

export type ChannelKind = 'group' | 'org' | 'user';

/** Splits a channel name back into its parts (for metrics and gap fills). */
export function parseChannel(
  name: string,
):
  | { kind: 'group'; orgId: string; groupId: string }
  | { kind: 'org'; orgId: string }
  | { kind: 'user'; orgId: string; userId: string }
  | null {
  const m = /^o:\{([^}]+)\}:(?:(all)|g:(.+)|u:(.+))$/.exec(name);
  if (!m) return null;
  const orgId = m[1]!;
  if (m[2]) return { kind: 'org', orgId };
  if (m[3]) return { kind: 'group', orgId, groupId: m[3] };
  return { kind: 'user', orgId, userId: m[4]! };
}

/**
 * Redis keys, built like channels: prefixed and hash-tagged by org, so that in a Redis Cluster
 * everything of one org lives in one slot (Lua scripts may touch several of its keys).
 */
export const redisKeys = {
  /** Users of one group that one node has sockets for (a hash user id → username). */
  presenceOfNode: (orgId: string, groupId: string, nodeId: string) =>
    `${redisKeys.presenceOfNodePrefix(orgId, groupId)}${uuid(nodeId, 'node')}`,
  /** The above without the node id (Lua scripts append the ids of live nodes). */
  presenceOfNodePrefix: (orgId: string, groupId: string) =>
    `${channels.group(orgId, groupId)}:presence:`,
  /** The nodes holding presence in one group, scored by when their entries expire. */
  presenceNodes: (orgId: string, groupId: string) =>
    `${channels.group(orgId, groupId)}:presence-nodes`,
  /** One user's sockets over the cluster, scored by when each expires. */
  userSockets: (orgId: string, userId: string) => `${channels.user(orgId, userId)}:sockets`,
  /** A rate limiter's keys (the limiter appends its own key after a colon). */
  limiter: (name: string) => {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new Error('invalid limiter name');
    return `limit:${name}`;
  },
};

/**
 * Separates clusters that share one Redis (several deployments, or parallel test runs): every
 * channel and key a node uses goes under it. Nodes of one cluster must use the same one.
 */
export function redisNamespace(raw: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) throw new Error('invalid Redis namespace');
  return `orghub:${raw}:`;
}
