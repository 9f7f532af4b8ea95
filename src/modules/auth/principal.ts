import type { Scope } from '../../protocol/api-keys.js';

/**
 * Who is calling: the platform operator, a user of exactly one org, or an API key of exactly
 * one org (a backend acting within the key's scopes, authoring under the key's name).
 */
export type Principal =
  | { kind: 'operator' }
  | {
      kind: 'user';
      id: string;
      orgId: string;
      role: 'admin' | 'member';
      username: string;
      /** The login session (refresh token family) the access token was issued in. */
      sessionId?: string;
    }
  | ApiKeyPrincipal;

export interface ApiKeyPrincipal {
  kind: 'apiKey';
  /** The key's id (not its secret). */
  id: string;
  orgId: string;
  /** What it authors as (`username`), chosen by the admin who created it. */
  name: string;
  scopes: readonly Scope[];
  /** The groups it is limited to (public or private); null: the org's public groups. */
  groups: readonly string[] | null;
}

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export const isOperator = (p: Principal): p is { kind: 'operator' } => p.kind === 'operator';

/** Whether the caller holds `scope`: users and the operator are not limited by scopes. */
export const hasScope = (p: Principal, scope: Scope): boolean =>
  p.kind !== 'apiKey' || p.scopes.includes(scope);

/**
 * What the caller authors under: the operator as `user_id: null`, `username: "operator"`, an
 * API key as `user_id: null`, `username: <key name>`.
 */
export const authorOf = (p: Principal) =>
  p.kind === 'operator'
    ? { userId: null, username: 'operator' }
    : p.kind === 'apiKey'
      ? { userId: null, username: p.name }
      : { userId: p.id, username: p.username };
