import { forbidden, notFound } from '../../errors.js';

/**
 * What a policy answers about `can(principal, action, resource)`. Policies (one file per
 * domain, `<domain>.policy.ts`) are pure functions of the principal and the loaded resource;
 * services call them and `enforce` turns a refusal into the one right error.
 *
 * - `hidden`: the caller may not learn that the resource exists (another org's, a private
 *   group they are not in): answered 404 exactly as if it did not exist, never 403.
 * - `denied`: the caller sees the resource but may not do this to it: 403 with the reason.
 */
export type Decision =
  | { readonly ok: true }
  | { readonly ok: false; readonly hidden: true; readonly what: string }
  | { readonly ok: false; readonly hidden: false; readonly reason: string };

export const allow: Decision = { ok: true };
export const hidden = (what: string): Decision => ({ ok: false, hidden: true, what });
export const denied = (reason: string): Decision => ({ ok: false, hidden: false, reason });
/** An API key without the scope this needs: 403 naming the scope. */
export const missingScope = (scope: string): Decision =>
  denied(`this API key lacks the scope ${scope}`);

/** The one place a refusal becomes an error: 404 for what is hidden, 403 for what is denied. */
export function enforce(decision: Decision): void {
  if (decision.ok) return;
  throw decision.hidden ? notFound(decision.what) : forbidden(decision.reason);
}
