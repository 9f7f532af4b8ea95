import { Type, type Static } from 'typebox';
import { Slug, Timestamp } from './common.js';

export const Org = Type.Object(
  { id: Slug('org id'), name: Type.String(), created_at: Timestamp() },
  { $id: 'Org' },
);
export type Org = Static<typeof Org>;

/**
 * The seed's create answers: the created resource plus the Go server's `{<kind>_id, status,
 * message}`, so its clients read them as before.
 */
const seedAnswer = (what: string) => ({
  status: Type.Literal('success'),
  message: Type.String({ description: `a human sentence, e.g. "${what} created successfully"` }),
});

/** `POST /api/v1/orgs` → 201. */
export const OrgCreated = Type.Object(
  {
    ...Org.properties,
    org_id: Slug('the new org’s id (the seed’s field; equals id)'),
    ...seedAnswer('Organization'),
  },
  { $id: 'OrgCreated' },
);
export type OrgCreated = Static<typeof OrgCreated>;

export const CreateOrgBody = Type.Object(
  { id: Slug('org id, chosen by the caller'), name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const Group = Type.Object(
  {
    id: Slug('group id'),
    org_id: Slug('org id'),
    name: Type.String(),
    private: Type.Boolean(),
    created_at: Timestamp(),
    // In the group list only: the caller's position (unread = last_seq - last_read_seq).
    last_seq: Type.Optional(Type.Integer({ description: 'the newest message seq' })),
    last_read_seq: Type.Optional(Type.Integer({ description: 'the caller’s read cursor' })),
    unread_count: Type.Optional(Type.Integer({ description: 'messages after the cursor' })),
  },
  { $id: 'Group' },
);
export type Group = Static<typeof Group>;

/** `POST /api/v1/orgs/{orgId}/groups` → 201. */
export const GroupCreated = Type.Object(
  {
    id: Group.properties.id,
    org_id: Group.properties.org_id,
    name: Group.properties.name,
    private: Group.properties.private,
    created_at: Group.properties.created_at,
    group_id: Slug('the new group’s id (the seed’s field; equals id)'),
    ...seedAnswer('Group'),
  },
  { $id: 'GroupCreated' },
);
export type GroupCreated = Static<typeof GroupCreated>;

export const CreateGroupBody = Type.Object(
  {
    id: Slug(
      'group id, chosen by the caller, unique in the org; ids starting with "dm-" are reserved for direct messages (400)',
    ),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    private: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const OrgParams = Type.Object({ orgId: Type.String() });
export const GroupParams = Type.Object({ orgId: Type.String(), groupId: Type.String() });
export const MemberParams = Type.Object({
  orgId: Type.String(),
  groupId: Type.String(),
  userId: Type.String(),
});
