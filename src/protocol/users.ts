import { Type, type Static } from 'typebox';
import { Slug, Timestamp, Uuid } from './common.js';

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('member')]);
export const Username = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[\\p{L}\\p{N}_.-]+$',
  description: 'letters, digits, "_", "." and "-"; unique in the org, case-insensitively',
});
export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Password = Type.String({
  minLength: 8,
  maxLength: 1024,
  description: 'at least 8 characters',
});
export const FullName = Type.String({ maxLength: 200 });

export const User = Type.Object(
  {
    id: Uuid('user id'),
    username: Type.String(),
    email: Type.String(),
    full_name: Type.String(),
    org_id: Slug('org id'),
    role: Role,
    created_at: Timestamp(),
    updated_at: Timestamp(),
  },
  { $id: 'User' },
);
export type User = Static<typeof User>;

export const CreateUserBody = Type.Object(
  {
    username: Username,
    email: Email,
    full_name: Type.Optional(FullName),
    org_id: Slug('the org the user belongs to'),
    password: Password,
    role: Type.Optional(Role),
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  {
    full_name: Type.Optional(FullName),
    email: Type.Optional(Email),
    password: Type.Optional(Password),
    role: Type.Optional(Role),
    current_password: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description:
          'your password now: required to change your own password or email (wrong: 403)',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const UserParams = Type.Object({ id: Type.String() });
export const UserSearchQuery = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    org_id: Type.Optional(Slug('the org to search (operator only)')),
  },
  { additionalProperties: false },
);
