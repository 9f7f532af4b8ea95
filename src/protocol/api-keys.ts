import { Type, type Static } from 'typebox';
import { Nullable, Slug, Timestamp, Uuid } from './common.js';

/** What an API key may do (CONTRACT.md "Integrations"); a key holds one or more. */
export const SCOPES = [
  'messages:read',
  'messages:write',
  'broadcast',
  'tasks:read',
  'tasks:write',
  'users:read',
] as const;
export type Scope = (typeof SCOPES)[number];
export const Scope = Type.Union(
  [
    Type.Literal('messages:read'),
    Type.Literal('messages:write'),
    Type.Literal('broadcast'),
    Type.Literal('tasks:read'),
    Type.Literal('tasks:write'),
    Type.Literal('users:read'),
  ],
  { description: SCOPES.join(' | ') },
);

/** Keys are written `ohk_` + 43 base64url characters (256 random bits). */
export const API_KEY_PREFIX = 'ohk_';
/** The most keys of one org that may be active at once (bounded, like everything else). */
export const MAX_ACTIVE_KEYS_PER_ORG = 200;
/** The most groups one key may be limited to. */
export const MAX_KEY_GROUPS = 100;

export const ApiKeyName = Type.String({
  minLength: 1,
  maxLength: 64,
  // Words of letters, digits, "_", "." and "-" separated by single spaces: it is shown as the
  // author of what the key posts, so no leading, trailing or repeated blanks.
  pattern: '^[\\p{L}\\p{N}_.-]+(?: [\\p{L}\\p{N}_.-]+)*$',
  description:
    'shown as the author (`username`) of what the key posts; letters, digits, "_", "." and "-", single spaces between words; not "operator"',
  examples: ['deploy-bot'],
});

export const CreateApiKeyBody = Type.Object(
  {
    name: ApiKeyName,
    scopes: Type.Array(Scope, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
    groups: Type.Optional(
      Type.Array(Slug('a group of the org (public or private)'), {
        minItems: 1,
        maxItems: MAX_KEY_GROUPS,
        uniqueItems: true,
        description:
          'limits the key to these groups (public or private); without it the key reaches the org’s public groups',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

/** A key as listed: never its secret. */
export const ApiKey = Type.Object(
  {
    id: Uuid('key id'),
    org_id: Slug('org id'),
    name: Type.String(),
    scopes: Type.Array(Scope),
    groups: Nullable(Type.Array(Slug('group id'), { description: 'null: the public groups' })),
    key_prefix: Type.String({ description: 'the first characters of the key, to recognise it' }),
    created_by: Nullable(Uuid('the admin who created it; null for the operator')),
    created_at: Timestamp(),
    last_used_at: Nullable(
      Timestamp('the last authenticated use, to within a few seconds; null if never used'),
    ),
  },
  { $id: 'ApiKey' },
);
export type ApiKey = Static<typeof ApiKey>;

/** `POST /orgs/{orgId}/api-keys` → 201: the only answer that carries the key itself. */
export const ApiKeyCreated = Type.Object(
  {
    ...ApiKey.properties,
    key: Type.String({
      description: 'the bearer token, `ohk_…`: shown this once, stored only as a hash',
    }),
  },
  { $id: 'ApiKeyCreated' },
);
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;

export const ApiKeyList = Type.Object({ api_keys: Type.Array(ApiKey) }, { $id: 'ApiKeyList' });
export type ApiKeyList = Static<typeof ApiKeyList>;

export const ApiKeyParams = Type.Object({ orgId: Type.String(), keyId: Type.String() });
