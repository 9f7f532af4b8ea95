import { allow, denied, hidden, type Decision } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { canOrg, isOrgAdmin } from '../orgs/orgs.policy.js';

/** A group (or DM) as a policy sees it: loaded together with the caller's membership. */
export interface GroupResource {
  readonly orgId: string;
  readonly id: string;
  readonly private: boolean;
  readonly kind: 'group' | 'dm';
  /** Whether the principal asking is a member of it. */
  readonly member: boolean;
}

/**
 * Who may do what in a group.
 *
 * - `join`: read its history, post, subscribe, see presence, move a read cursor. Every member
 *   of the org for a public group; for a private one its members, the org's admins (not for a
 *   DM: a conversation of two) and the operator. Anyone else is told the group does not exist.
 * - `manageMembers`: whoever may join it and is an admin (or the operator), or a member of
 *   the private group; the two members of a DM never change.
 *
 * An API key joins exactly the groups it was limited to (public or private), or without such
 * a list the org's public groups; never a DM; it manages no members.
 */
export type GroupAction = 'join' | 'manageMembers';

export function canGroup(p: Principal, action: GroupAction, g: GroupResource): Decision {
  const org = canOrg(p, 'view', { id: g.orgId });
  if (!org.ok) return org;
  if (p.kind === 'apiKey') {
    const reaches = g.kind === 'group' && (p.groups ? p.groups.includes(g.id) : !g.private);
    if (!reaches) return hidden('group');
    return action === 'join' ? allow : denied('an API key cannot change the members of a group');
  }
  const admin = isOrgAdmin(p, g.orgId);
  const joins = !g.private || p.kind === 'operator' || g.member || (g.kind === 'group' && admin);
  if (!joins) return hidden('group');
  if (action === 'join') return allow;
  if (g.kind === 'dm') return denied('the members of a direct conversation cannot change');
  if (admin || (g.private && g.member)) return allow;
  return denied('only an admin or a member of this private group may change its members');
}
