import { Type, type TSchema } from 'typebox';
import { SLUG_PATTERN } from '../shared/ids.js';

/** Schemas shared by every REST route; also the types the SDK and web app build on. */
export const Slug = (description: string) =>
  Type.String({ pattern: SLUG_PATTERN, description, examples: ['acme'] });
export const Uuid = (description: string) => Type.String({ format: 'uuid', description });

/**
 * Bounds every number and instant a client sends, once, for REST, frames and OpenAPI alike.
 * Integers stay within what a JS number holds exactly (2^53 - 1, well inside PostgreSQL's
 * bigint); instants within 1970-01-01..9999-01-01, which JS Date, PostgreSQL's timestamptz and
 * RFC 3339's four-digit year all represent. Past these a driver or the database threw, and a
 * client's typo answered 500.
 */
export const MAX_INTEGER = Number.MAX_SAFE_INTEGER;
export const MIN_INSTANT_MS = Date.UTC(1970, 0, 1);
// 9999-01-01, not the year's end: shown in a server time zone east of UTC, the last hours of
// 9999 would be year 10000, which no four-digit reader parses.
export const MAX_INSTANT_MS = Date.UTC(9999, 0, 1);
export const MAX_UNIX_SECONDS = Math.floor(MAX_INSTANT_MS / 1000);
const RANGE = 'from 1970-01-01T00:00:00Z to 9999-01-01T00:00:00Z';

/** A position in a group's message sequence (or a cursor on it). */
export const Seq = (description?: string) =>
  Type.Integer({ minimum: 0, maximum: MAX_INTEGER, ...(description && { description }) });
/** Any other whole number a client sends where the route gives no tighter bound. */
export const Int = (description?: string) =>
  Type.Integer({
    minimum: -MAX_INTEGER,
    maximum: MAX_INTEGER,
    ...(description && { description }),
  });
/** Unix seconds (fractions allowed) within the instant range. */
export const UnixSeconds = (description: string) =>
  Type.Number({ minimum: 0, maximum: MAX_UNIX_SECONDS, description: `${description}; ${RANGE}` });

/**
 * An RFC 3339 date-time the calendar has (no 02-30, no leap second JS Date cannot parse) and
 * within the instant range. The HTTP layer's `date-time` format is this check; task cursors
 * use it too.
 */
export function isInstant(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return false;
  const t = Date.parse(s);
  return Number.isFinite(t) && t >= MIN_INSTANT_MS && t <= MAX_INSTANT_MS;
}
const RFC3339 =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

export const Timestamp = (description = 'RFC 3339, UTC, milliseconds') =>
  Type.String({ format: 'date-time', description: `${description}; ${RANGE}` });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'human-readable message; names the failing field on 400' }),
    code: Type.String({
      description:
        'bad_request | unauthorized | forbidden | not_found | conflict | version_conflict | payload_too_large | rate_limited | unavailable | internal',
    }),
  },
  { $id: 'Error' },
);

/** Error responses every authenticated route may give. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries([401, 429, 503, ...statuses].map((s) => [s, Type.Ref('Error')])) as Record<
    number,
    TSchema
  >;

export const Empty = Type.Null({ description: 'no content' });
