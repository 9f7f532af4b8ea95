import { allow, denied, hidden, type Decision } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { isOrgAdmin, seesOrg } from '../orgs/orgs.policy.js';

/** A user as a policy sees it. */
export interface UserResource {
  readonly orgId: string;
  readonly id: string;
}

/**
 * Who may do what to a user.
 *
 * - `view` (and what follows from seeing someone: their tasks, a DM with them): every member
 *   of the user's org and the operator; for anyone else the user does not exist.
 * - `update`: the user themselves, or an admin.
 * - `changeRole`, `delete`: an admin.
 */
export type UserAction = 'view' | 'update' | 'changeRole' | 'delete';

export function canUser(p: Principal, action: UserAction, u: UserResource): Decision {
  if (!seesOrg(p, u.orgId)) return hidden('user');
  if (action === 'view' || isOrgAdmin(p, u.orgId)) return allow;
  if (action === 'update')
    return p.kind === 'user' && p.id === u.id
      ? allow
      : denied('only the user or an admin may change a user');
  if (action === 'changeRole') return denied('only an admin may change a role');
  return denied('only an admin of this org may do this');
}
