import type { Decision } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { canGroup, type GroupResource } from '../groups/groups.policy.js';
import { canOrg } from '../orgs/orgs.policy.js';

/**
 * Who may do what with a group's messages.
 *
 * - `read` (history, counts, a resume's replay) and `post` (a socket frame or REST): whoever
 *   may join the group (groups.policy); anyone else is told the group does not exist.
 */
export type GroupMessageAction = 'read' | 'post';

export function canGroupMessages(
  p: Principal,
  _action: GroupMessageAction,
  group: GroupResource,
): Decision {
  return canGroup(p, 'join', group);
}

/**
 * Org announcements (`POST /orgs/{orgId}/broadcast`): `announce` for its admins and the
 * operator, `read` (the recent ones) for every member.
 */
export type AnnouncementAction = 'read' | 'announce';

export function canAnnouncements(
  p: Principal,
  action: AnnouncementAction,
  org: { id: string },
): Decision {
  return canOrg(p, action === 'announce' ? 'administer' : 'view', org);
}
