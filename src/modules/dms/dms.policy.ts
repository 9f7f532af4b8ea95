import { allow, denied, hidden, type Decision } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { seesOrg } from '../orgs/orgs.policy.js';

/** Direct conversations as a policy sees them: in one org, between two users when named. */
export interface DmResource {
  readonly orgId: string;
  /** `send`, `read`: the side the caller names as theirs (the seed path's `userId`). */
  readonly userId?: string;
  /** `read`: the other side. */
  readonly otherId?: string;
}

/**
 * Who may do what with direct messages. A DM is a private group of its two users (its
 * messages, stream and read cursors then follow the group policy, where an admin does not
 * get in); these rules decide who may name a conversation at all.
 *
 * - `open` (create it, list one's own): a user, as themselves; the operator has no DMs.
 * - `send`: one of its users as themselves, or the operator (authoring as the operator).
 * - `read` (its history): either of its two users, or the operator.
 * Another org is hidden; acting as someone else is denied (403), whether or not they exist.
 * An API key has no DMs at all.
 */
export type DmAction = 'open' | 'send' | 'read';

export function canDm(p: Principal, action: DmAction, dm: DmResource): Decision {
  if (!seesOrg(p, dm.orgId)) return hidden('org');
  if (p.kind === 'apiKey') return denied('direct messages are between users');
  if (p.kind === 'operator')
    return action === 'open' ? denied('direct messages are between users') : allow;
  if (action === 'open' || p.id === dm.userId || (action === 'read' && p.id === dm.otherId))
    return allow;
  return denied(
    action === 'read'
      ? 'only its two users may read a direct conversation'
      : 'you may only send direct messages as yourself',
  );
}
