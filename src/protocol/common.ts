import { Type, type TSchema } from 'typebox';
import { SLUG_PATTERN } from '../shared/ids.js';

/** Schemas shared by every REST route; also the types the SDK and web app build on. */
export const Slug = (description: string) =>
  Type.String({ pattern: SLUG_PATTERN, description, examples: ['acme'] });
export const Uuid = (description: string) => Type.String({ format: 'uuid', description });
export const Timestamp = (description = 'RFC 3339, UTC, milliseconds') =>
  Type.String({ format: 'date-time', description });
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
