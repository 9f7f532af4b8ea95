import { forbidden, notFound } from '../../errors.js';

/** Who is calling: the platform operator, or a user of exactly one org. */
export type Principal =
  | { kind: 'operator' }
  | { kind: 'user'; id: string; orgId: string; role: 'admin' | 'member'; username: string };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export const isOperator = (p: Principal): p is { kind: 'operator' } => p.kind === 'operator';

/** What the caller authors under: the operator authors as `user_id: null`, `username: "operator"`. */
export const authorOf = (p: Principal) =>
  p.kind === 'operator'
    ? { userId: null, username: 'operator' }
    : { userId: p.id, username: p.username };

/** The caller may see this org. Another org answers 404 so its existence cannot be probed. */
export function assertOrgMember(p: Principal, orgId: string): void {
  if (p.kind === 'user' && p.orgId !== orgId) throw notFound('org');
}

/** The caller administers this org (403 for a member of it, 404 for anyone outside it). */
export function assertOrgAdmin(p: Principal, orgId: string): void {
  assertOrgMember(p, orgId);
  if (p.kind === 'user' && p.role !== 'admin')
    throw forbidden('only an admin of this org may do this');
}

export const isOrgAdmin = (p: Principal, orgId: string) =>
  p.kind === 'operator' || (p.orgId === orgId && p.role === 'admin');
