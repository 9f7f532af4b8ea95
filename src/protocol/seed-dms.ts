import { Type, type Static } from 'typebox';
import { Int, Nullable, Slug, Timestamp, Uuid } from './common.js';
import { CLIENT_MSG_ID_MAX } from './messages.js';

/**
 * The Go server's DM routes and socket (CONTRACT "Seed direct messages"): another door to
 * OrgHub's DMs (`/api/v1/orgs/{orgId}/dms`), scoped to the caller's org.
 */

/** A DM message in the seed's shape: OrgHub's message event plus the seed's `recipient_id`. */
export const SeedDm = Type.Object(
  {
    type: Type.Literal('message'),
    id: Uuid('message id'),
    seq: Type.Integer({ description: 'position in the conversation' }),
    org_id: Slug('org id'),
    group_id: Type.String({ description: 'the conversation’s id (`dm-…`)' }),
    user_id: Nullable(Uuid('sender; null when the operator wrote it')),
    username: Type.String(),
    client_id: Nullable(Type.String({ description: 'the connection label of the sender' })),
    client_msg_id: Nullable(Type.String({ description: 'the sender’s idempotency key' })),
    recipient_id: Nullable(
      Uuid('the other user of the two; null for a message of the operator (to both)'),
    ),
    content: Type.String(),
    timestamp: Timestamp(),
  },
  { $id: 'SeedDm' },
);
export type SeedDm = Static<typeof SeedDm>;

// Ids are plain strings here: a malformed one is answered 404 (as any unknown id), not 400.
export const SeedDmParams = Type.Object({ userId: Type.String(), recipientId: Type.String() });
export const SeedDmOrgQuery = Type.Object({
  org_id: Type.Optional(Slug('the org (operator only; a user acts in their own)')),
});
export const SeedDmHistoryQuery = Type.Object({
  limit: Type.Optional({ ...Int('default 50; clamped to 1..1000'), examples: [50] }),
  org_id: Type.Optional(Slug('the org (operator only; a user acts in their own)')),
});

const Content = Type.String({ description: 'non-empty, at most MAX_MESSAGE_CHARS characters' });
const ClientMsgId = Type.String({
  minLength: 1,
  maxLength: CLIENT_MSG_ID_MAX,
  description: 'idempotency key: a retry with the same key stores nothing new',
});

export const SeedDmBody = Type.Object(
  { content: Content, client_msg_id: Type.Optional(ClientMsgId) },
  { additionalProperties: false },
);
export type SeedDmBody = Static<typeof SeedDmBody>;

export const SeedDmSent = Type.Object({
  status: Type.Literal('Direct message sent'),
  message: Type.Ref('SeedDm'),
});

export const ConnectedUsers = Type.Object({
  connected_users: Type.Array(Uuid('a user of the caller’s org with a socket open')),
  count: Type.Integer(),
});

/** What a client sends on `/ws/dm/{userId}`: a DM to one user of its org, or a ping. */
export const SeedDmFrame = Type.Union([
  Type.Object(
    {
      content: Content,
      recipient_id: Type.String({ description: 'a user of the sender’s org' }),
      client_msg_id: Type.Optional(ClientMsgId),
      type: Type.Optional(Type.Literal('message')),
    },
    { additionalProperties: true },
  ),
  Type.Object({ type: Type.Literal('ping') }),
]);
export type SeedDmFrame = Static<typeof SeedDmFrame>;
