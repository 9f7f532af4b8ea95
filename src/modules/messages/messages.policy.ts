import { allow, hidden, missingScope, type Decision } from '../auth/policy.js';
import { hasScope, type Principal } from '../auth/principal.js';
import { canGroup, type GroupResource } from '../groups/groups.policy.js';
import { canOrg, seesOrg } from '../orgs/orgs.policy.js';

/**
 * Who may do what with a group's messages.
 *
 * - `read` (history, counts, a resume's replay) and `post` (a socket frame or REST): whoever
 *   may join the group (groups.policy); anyone else is told the group does not exist. An API
 *   key also needs `messages:read` or `messages:write` (a socket's frames come here too).
 */
export type GroupMessageAction = 'read' | 'post';

export function canGroupMessages(
  p: Principal,
  action: GroupMessageAction,
  group: GroupResource,
): Decision {
  const joins = canGroup(p, 'join', group);
  if (!joins.ok) return joins;
  const scope = action === 'read' ? 'messages:read' : 'messages:write';
  return hasScope(p, scope) ? allow : missingScope(scope);
}

/**
 * Org announcements (`POST /orgs/{orgId}/broadcast`): `announce` for its admins and the
 * operator, `read` (the recent ones) for every member. An API key announces with the scope
 * `broadcast` and reads them with `messages:read`.
 */
export type AnnouncementAction = 'read' | 'announce';

export function canAnnouncements(
  p: Principal,
  action: AnnouncementAction,
  org: { id: string },
): Decision {
  if (p.kind === 'apiKey') {
    if (!seesOrg(p, org.id)) return hidden('org');
    const scope = action === 'announce' ? 'broadcast' : 'messages:read';
    return hasScope(p, scope) ? allow : missingScope(scope);
  }
  return canOrg(p, action === 'announce' ? 'administer' : 'view', org);
}
