import { allow, denied, hidden, type Decision } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { isOrgAdmin, seesOrg } from '../orgs/orgs.policy.js';

/** A task as a policy sees it. */
export interface TaskResource {
  readonly orgId: string;
  /** Its user (assignee). */
  readonly userId: string;
  readonly createdBy: string | null;
}

/**
 * Who may do what to a task. A workspace is collaborative: every member of the org may see
 * and change every task of it (`view`, `update`); only its user, its creator or an admin
 * (or the operator) may `delete` it. Another org's task does not exist for the caller. An API
 * key with `tasks:write` (checked per route) may delete too: it creates tasks as nobody
 * (`created_by: null`), and a backend that files tasks must be able to withdraw them.
 */
export type TaskAction = 'view' | 'update' | 'delete';

export function canTask(p: Principal, action: TaskAction, t: TaskResource): Decision {
  if (!seesOrg(p, t.orgId)) return hidden('task');
  if (action !== 'delete' || isOrgAdmin(p, t.orgId) || p.kind === 'apiKey') return allow;
  if (p.kind === 'user' && (t.userId === p.id || t.createdBy === p.id)) return allow;
  return denied('only the task’s user, its creator or an admin may delete it');
}
