import { Type, type Static } from 'typebox';
import { Nullable, Seq as SeqOf, Timestamp, Uuid } from './common.js';

/**
 * What the server sends on the workspace socket (`GET /ws`) besides the events it shares with
 * the group socket (Message, Broadcast, TaskEvent, TaskReminderEvent, PresenceEvent). Schemas,
 * not only types, so the SDK's wire types are generated from them (`npm run sdk:types`).
 */
const Req = Type.String({ description: 'the `req` of the client frame this answers' });
const GroupId = Type.String({ description: 'group or DM id' });
const Seq = SeqOf();

export const SubscribedReply = Type.Object(
  {
    type: Type.Literal('subscribed'),
    req: Req,
    group_id: GroupId,
    last_seq: Seq,
    recovered: Type.Boolean({
      description: 'false when messages after `since_seq` are gone (retention): a gap',
    }),
  },
  { $id: 'SubscribedReply' },
);
export type SubscribedReply = Static<typeof SubscribedReply>;

export const UnsubscribedReply = Type.Object(
  {
    type: Type.Literal('unsubscribed'),
    req: Nullable(Req),
    group_id: GroupId,
    reason: Type.Optional(
      Type.Union([Type.Literal('removed'), Type.Literal('gone'), Type.Literal('failed')], {
        description: 'only when the server ended the subscription (req null)',
      }),
    ),
    message: Type.Optional(Type.String()),
  },
  { $id: 'UnsubscribedReply' },
);
export type UnsubscribedReply = Static<typeof UnsubscribedReply>;

export const HistoryReply = Type.Object(
  {
    type: Type.Literal('history'),
    req: Req,
    group_id: GroupId,
    messages: Type.Array(Type.Ref('Message'), { description: 'newest first' }),
  },
  { $id: 'HistoryReply' },
);

export const ReadReply = Type.Object(
  {
    type: Type.Literal('read'),
    req: Req,
    group_id: GroupId,
    seq: Seq,
    last_read_seq: Seq,
    last_seq: Seq,
    unread_count: Type.Integer({ minimum: 0 }),
  },
  { $id: 'ReadReply' },
);

/** The user's read cursor moved (sent to their other sockets). */
export const ReadEvent = Type.Object(
  {
    type: Type.Literal('read'),
    id: Uuid('event id, for dropping duplicates'),
    group_id: GroupId,
    seq: Seq,
  },
  { $id: 'ReadEvent' },
);
export type ReadEvent = Static<typeof ReadEvent>;

export const PresenceReply = Type.Object(
  {
    type: Type.Literal('presence'),
    req: Req,
    group_id: GroupId,
    users: Type.Array(Type.Ref('PresentUser')),
  },
  { $id: 'PresenceReply' },
);

/** Another user of a subscribed group is typing; `stopped` when it lapsed or they left. */
export const TypingEvent = Type.Object(
  {
    type: Type.Literal('typing'),
    group_id: GroupId,
    user_id: Uuid('who is typing'),
    username: Type.String(),
    stopped: Type.Optional(Type.Literal(true)),
  },
  { $id: 'TypingEvent' },
);
export type TypingEvent = Static<typeof TypingEvent>;

export const AuthenticatedReply = Type.Object(
  {
    type: Type.Literal('authenticated'),
    req: Req,
    expires_at: Nullable(Timestamp('when the new access token expires')),
  },
  { $id: 'AuthenticatedReply' },
);

export const PongReply = Type.Object(
  { type: Type.Literal('pong'), req: Req },
  { $id: 'PongReply' },
);

/** Answer with an `auth` frame carrying a fresh access token, or be closed with 4001. */
export const TokenExpiringEvent = Type.Object(
  { type: Type.Literal('token.expiring'), expires_at: Timestamp('when the socket is closed') },
  { $id: 'TokenExpiringEvent' },
);

/** The user's access changed; the socket acts on it itself (close 4003, or unsubscribed). */
export const AccessRevokedEvent = Type.Object(
  {
    type: Type.Literal('access.revoked'),
    id: Uuid('event id'),
    reason: Type.Union([
      Type.Literal('logout'),
      Type.Literal('deleted'),
      Type.Literal('role'),
      Type.Literal('removed'),
    ]),
    group_id: Type.Optional(GroupId),
    session_id: Type.Optional(Type.String({ description: 'for `logout`: the session that ended' })),
  },
  { $id: 'AccessRevokedEvent' },
);
export type AccessRevokedEvent = Static<typeof AccessRevokedEvent>;

/**
 * A DM was opened with the user (or by them on another device): add it to the list and
 * subscribe. Sent to both users on first use only; `dm` is as the receiving user sees it.
 */
export const DmOpenedEvent = Type.Object(
  { type: Type.Literal('dm.opened'), id: Uuid('event id'), dm: Type.Ref('Dm') },
  { $id: 'DmOpenedEvent' },
);

/**
 * A group the user may join appeared: a public group was created (to the whole org), or the
 * user was made a member of a private one (to that user).
 */
export const GroupAddedEvent = Type.Object(
  { type: Type.Literal('group.added'), id: Uuid('event id'), group: Type.Ref('Group') },
  { $id: 'GroupAddedEvent' },
);

export const WorkspaceError = Type.Object(
  {
    type: Type.Literal('error'),
    req: Nullable(Req),
    code: Type.Union([
      Type.Literal('bad_request'),
      Type.Literal('unauthorized'),
      Type.Literal('not_found'),
      Type.Literal('forbidden'),
      Type.Literal('payload_too_large'),
      Type.Literal('rate_limited'),
      Type.Literal('unavailable'),
    ]),
    message: Type.String(),
    group_id: Type.Optional(GroupId),
  },
  { $id: 'WorkspaceError' },
);
export type WorkspaceError = Static<typeof WorkspaceError>;
