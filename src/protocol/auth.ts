import { Type, type Static } from 'typebox';
import { Org } from './orgs.js';
import { Email, FullName, Password, User, Username } from './users.js';
import { Slug } from './common.js';

export const LoginBody = Type.Object(
  {
    org_id: Slug('org id'),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds until the access token expires' }),
  user: User,
});
export type TokenResponse = Static<typeof TokenResponse>;

export const SignupBody = Type.Object(
  {
    org_id: Slug('id of the new org'),
    org_name: Type.String({ minLength: 1, maxLength: 200 }),
    username: Username,
    email: Email,
    password: Password,
    full_name: Type.Optional(FullName),
  },
  { additionalProperties: false },
);

export const SignupResponse = Type.Object({
  org: Org,
  user: User,
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
});

export const MeResponse = Type.Union([User, Type.Object({ operator: Type.Literal(true) })]);
