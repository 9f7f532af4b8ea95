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
