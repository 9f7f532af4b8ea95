import { Type, type Static, type TSchema } from 'typebox';
import { Seq as SeqOf } from './common.js';
import { CLIENT_MSG_ID_MAX } from './messages.js';

/**
 * Frames of the workspace socket, `GET /ws`: one socket per device carrying all of a user's
 * groups and DMs. Every client frame names a `req` id of the client's choosing, echoed on the
 * reply (the reply to a `publish` is the message event itself, with `req`).
 */
const Req = Type.String({ minLength: 1, maxLength: 64, description: 'client-chosen request id' });
const GroupId = Type.String({ minLength: 1, maxLength: 200, description: 'group or DM id' });
const Seq = SeqOf();

const frame = <T extends string, P extends Record<string, TSchema>>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), req: Req, ...props }, { additionalProperties: false });

export const SubscribeFrame = frame('subscribe', {
  group_id: GroupId,
  since_seq: Type.Optional(Seq),
});
export const UnsubscribeFrame = frame('unsubscribe', { group_id: GroupId });
export const PublishFrame = frame('publish', {
  group_id: GroupId,
  content: Type.String(),
  client_msg_id: Type.Optional(Type.String({ minLength: 1, maxLength: CLIENT_MSG_ID_MAX })),
});
export const HistoryFrame = frame('history', {
  group_id: GroupId,
  before_seq: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export const ReadFrame = frame('read', { group_id: GroupId, seq: Seq });
export const TypingFrame = frame('typing', { group_id: GroupId });
/** Who is online in a group now (then `presence.join` / `presence.leave` keep it current). */
export const PresenceFrame = frame('presence', { group_id: GroupId });
export const AuthFrame = frame('auth', { token: Type.String({ minLength: 1, maxLength: 4096 }) });
export const PingFrame = frame('ping', {});

export const WorkspaceClientFrame = Type.Union([
  SubscribeFrame,
  UnsubscribeFrame,
  PublishFrame,
  HistoryFrame,
  ReadFrame,
  TypingFrame,
  PresenceFrame,
  AuthFrame,
  PingFrame,
]);
export type WorkspaceClientFrame = Static<typeof WorkspaceClientFrame>;
export const WORKSPACE_FRAME_TYPES = [
  'subscribe',
  'unsubscribe',
  'publish',
  'history',
  'read',
  'typing',
  'presence',
  'auth',
  'ping',
] as const;

/** Replies and server events specific to the workspace socket (messages are `Message`). */
export { SubscribedReply, TypingEvent, ReadEvent, WorkspaceError } from './workspace-events.js';

/** Close codes of the workspace socket beyond the group socket's. */
export const CLOSE_TOKEN_EXPIRED = 4001;
export const CLOSE_SESSION_ENDED = 4003;

/** `PUT /orgs/{orgId}/groups/{groupId}/read` */
export const ReadBody = Type.Object(
  { seq: SeqOf('last seq read; never moves backwards') },
  { additionalProperties: false },
);
export const ReadCursor = Type.Object({
  group_id: Type.String(),
  last_read_seq: Type.Integer(),
  last_seq: Type.Integer(),
  unread_count: Type.Integer(),
});

export const Dm = Type.Object(
  {
    id: Type.String({ description: 'deterministic: dm-<the two user ids, hashed>' }),
    org_id: Type.String(),
    kind: Type.Literal('dm'),
    other_user: Type.Object({ id: Type.String(), username: Type.String() }),
    last_seq: Type.Integer(),
    last_read_seq: Type.Integer(),
    unread_count: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Dm' },
);
export type Dm = Static<typeof Dm>;
export const DmParams = Type.Object({ orgId: Type.String(), userId: Type.String() });
