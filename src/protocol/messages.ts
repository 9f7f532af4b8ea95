import { Type, type Static } from 'typebox';
import { Int, Nullable, Seq, Slug, Timestamp, UnixSeconds, Uuid } from './common.js';

/** A stored group message exactly as sockets receive it and history routes return it. */
export const Message = Type.Object(
  {
    type: Type.Literal('message'),
    id: Uuid('message id'),
    seq: Type.Integer({ description: 'position in the group; grows by exactly 1 per message' }),
    org_id: Slug('org id'),
    group_id: Slug('group id'),
    user_id: Nullable(Uuid('author; null when the operator wrote it')),
    username: Type.String({ description: 'author name; "operator" for the operator' }),
    client_id: Nullable(Type.String({ description: 'the connection label of the sender' })),
    client_msg_id: Nullable(Type.String({ description: 'the sender’s idempotency key' })),
    content: Type.String(),
    timestamp: Timestamp(),
  },
  { $id: 'Message' },
);
export type Message = Static<typeof Message>;

/** An org-wide announcement, as sockets receive it and `GET /orgs/{orgId}/broadcasts` returns it. */
export const Broadcast = Type.Object(
  {
    type: Type.Literal('broadcast'),
    id: Uuid('broadcast id'),
    org_id: Slug('org id'),
    user_id: Nullable(Uuid('author; null when the operator wrote it')),
    username: Type.String(),
    content: Type.String(),
    timestamp: Timestamp(),
    group_id: Type.Optional(
      Slug('on the group socket only: that socket’s group (the seed’s broadcast shape)'),
    ),
    client_id: Type.Optional(Type.Null({ description: 'on the group socket only: always null' })),
  },
  { $id: 'Broadcast' },
);
export type Broadcast = Static<typeof Broadcast>;

/** An error frame on the group socket; the connection stays open. */
export const ErrorFrame = Type.Object(
  {
    type: Type.Literal('error'),
    code: Type.Union([
      Type.Literal('bad_request'),
      Type.Literal('payload_too_large'),
      Type.Literal('rate_limited'),
      Type.Literal('unavailable'),
    ]),
    message: Type.String(),
    client_msg_id: Nullable(Type.String({ description: 'of the message that failed, if any' })),
  },
  { $id: 'ErrorFrame' },
);
export type ErrorFrame = Static<typeof ErrorFrame>;

/**
 * What a group socket may opt in to with `events=<comma-separated list>`, beyond the `message`
 * and `broadcast` frames every seed client reads: `presence` (presence.join/leave), `typing`,
 * `tasks` (task.created/updated/deleted, task.reminder), `changes` (edits, deletes, reactions,
 * pins) and `all` (those, and access.revoked).
 */
export const GROUP_SOCKET_EVENTS = ['presence', 'typing', 'tasks', 'changes', 'all'] as const;
export type GroupSocketEvent = (typeof GROUP_SOCKET_EVENTS)[number];
export const GroupSocketEvents = Type.String({
  pattern: `^(${GROUP_SOCKET_EVENTS.join('|')})(,(${GROUP_SOCKET_EVENTS.join('|')}))*$`,
  description: `comma-separated: ${GROUP_SOCKET_EVENTS.join(', ')}; default none (only message and broadcast frames)`,
});

export const CLIENT_MSG_ID_MAX = 64;
export const CLIENT_ID_MAX = 128;

// The seed clamps a limit rather than refusing it; it must still be a number JS holds exactly.
const Limit = Type.Optional({ ...Int('default 50; clamped to 1..1000'), examples: [50] });

export const MessagePage = Type.Object({
  messages: Type.Array(Type.Ref('Message')),
  count: Type.Integer({ description: 'number of messages in this response' }),
});

export const ListMessagesQuery = Type.Object({
  limit: Limit,
  before_seq: Type.Optional(Seq('only messages with a smaller seq')),
  around_seq: Type.Optional(
    Seq(
      'jump to a message: up to `limit` messages before it, the one at (or next after) this seq, ' +
        'and up to `limit` after it, oldest first; not with before_seq',
    ),
  ),
});
export const MessagesAfterQuery = Type.Object({
  after: Type.Optional(UnixSeconds('unix seconds, exclusive')),
  after_seq: Type.Optional(Seq('seq, exclusive')),
  limit: Limit,
});
export const MessagesBetweenQuery = Type.Object({
  start: UnixSeconds('unix seconds, inclusive'),
  end: UnixSeconds('unix seconds, inclusive'),
  limit: Limit,
});

export const MessageSearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'web-search syntax: words, "a phrase", -not, or',
    }),
    group_id: Type.Optional(Slug('only this group or DM')),
    user_id: Type.Optional(Uuid('only messages by this author')),
    before: Type.Optional(Timestamp('created strictly before this instant')),
    after: Type.Optional(Timestamp('created strictly after this instant')),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 1000, description: 'from `next_cursor`' })),
  },
  { additionalProperties: false },
);
export type MessageSearchQuery = Static<typeof MessageSearchQuery>;

/** A search hit: the message in its current state, its kind and its matches marked. */
export const MessageHit = Type.Object(
  {
    ...Message.properties,
    kind: Type.Literal('message'),
    highlight: Type.String({
      description: 'the content (or an excerpt) as HTML: escaped, with the matches in <mark>',
    }),
  },
  { $id: 'MessageHit' },
);

export const MessageSearchPage = Type.Object({
  messages: Type.Array(Type.Ref('MessageHit')),
  next_cursor: Nullable(Type.String()),
});

export const GroupBroadcastBody = Type.Object(
  {
    content: Type.String({ description: 'non-empty, at most MAX_MESSAGE_CHARS characters' }),
    client_id: Type.Optional(Type.String({ maxLength: CLIENT_ID_MAX })),
    client_msg_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: CLIENT_MSG_ID_MAX,
        description: 'idempotency key: a retry with the same key stores nothing new',
      }),
    ),
  },
  { additionalProperties: false },
);
export const OrgBroadcastBody = Type.Object(
  { content: Type.String({ description: 'non-empty, at most MAX_MESSAGE_CHARS characters' }) },
  { additionalProperties: false },
);

export const GroupBroadcastResponse = Type.Object({
  status: Type.String({ description: '"sent", or "duplicate" for a repeated client_msg_id' }),
  message: Type.Ref('Message'),
});
export const OrgBroadcastResponse = Type.Object({
  status: Type.String({ description: '"sent"' }),
  message: Type.Ref('Broadcast'),
});
export const BroadcastPage = Type.Object({
  broadcasts: Type.Array(Type.Ref('Broadcast')),
  count: Type.Integer(),
});
export const ListBroadcastsQuery = Type.Object({ limit: Limit });
