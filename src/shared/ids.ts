/** Ids of orgs and groups are chosen by the caller; this is the contract's pattern for them. */
export const SLUG_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
const SLUG_RE = new RegExp(SLUG_PATTERN);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isSlug = (s: unknown): s is string => typeof s === 'string' && SLUG_RE.test(s);
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID_RE.test(s);
