import { allow, denied, hidden, type Decision } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';

/**
 * Who may do what to an org. The operator may do anything in every org; a user (and an API
 * key) belongs to exactly one org and sees nothing of any other (hidden: 404, so ids cannot
 * be probed). An API key is never an admin: what it may do beyond viewing, its scopes say
 * (checked per route, see http/auth-hook.ts, and by the policies of what it reaches).
 *
 * - `view`: its members and the operator (reading it, its groups, users, tasks, broadcasts).
 * - `administer`: its admins and the operator (users, announcements).
 * - `create`: the operator only.
 */
export type OrgAction = 'view' | 'administer' | 'create';

export function canOrg(p: Principal, action: OrgAction, org: { id: string }): Decision {
  if (action === 'create')
    return p.kind === 'operator' ? allow : denied('only the operator may create orgs');
  if (!seesOrg(p, org.id)) return hidden('org');
  if (action === 'administer' && !isOrgAdmin(p, org.id))
    return denied('only an admin of this org may do this');
  return allow;
}

/** The caller sees inside this org (its members, its API keys and the operator); for everyone else it is not there. */
export const seesOrg = (p: Principal, orgId: string): boolean =>
  p.kind === 'operator' || p.orgId === orgId;

/** The caller has an admin's rights in this org (its admins and the operator). */
export const isOrgAdmin = (p: Principal, orgId: string): boolean =>
  p.kind === 'operator' || (p.kind === 'user' && p.orgId === orgId && p.role === 'admin');
