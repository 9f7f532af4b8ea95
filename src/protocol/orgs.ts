import { Type, type Static } from 'typebox';
import { Slug, Timestamp } from './common.js';

export const Org = Type.Object(
  { id: Slug('org id'), name: Type.String(), created_at: Timestamp() },
  { $id: 'Org' },
);
export type Org = Static<typeof Org>;

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
