/** Who is calling: the platform operator, or a user of exactly one org. */
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
    };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export const isOperator = (p: Principal): p is { kind: 'operator' } => p.kind === 'operator';

/** What the caller authors under: the operator authors as `user_id: null`, `username: "operator"`. */
export const authorOf = (p: Principal) =>
  p.kind === 'operator'
    ? { userId: null, username: 'operator' }
    : { userId: p.id, username: p.username };
