import type { Decision } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { canOrg } from '../orgs/orgs.policy.js';

/**
 * Who may manage an org's API keys (create, list, revoke): its admins and the operator. A
 * key is never an admin, so no key can mint, see or revoke keys.
 */
export type ApiKeyAction = 'manage';

export const canApiKeys = (p: Principal, _action: ApiKeyAction, org: { id: string }): Decision =>
  canOrg(p, 'administer', org);
