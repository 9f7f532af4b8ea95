/**
 * Wire types of the OrgHub contract (CONTRACT.md). Generated from the server's TypeBox schemas
 * in `src/protocol/` into `generated/protocol.ts` (`npm run sdk:types`; a test fails when it is
 * stale), so the published SDK and the browser bundle carry no server code and no runtime
 * dependency. This file names them as the SDK always has and adds the SDK's own shapes.
 */
import type {
  AccessRevokedEvent,
  AuthenticatedReply,
  Broadcast,
  CreateTaskBody,
  DmOpenedEvent,
  ErrorFrame,
  GroupAddedEvent,
  HistoryReply,
  Message,
  PongReply,
  PresenceEvent,
  PresenceReply,
  ReadEvent,
  ReadReply,
  SubscribedReply,
  TaskEvent,
  TaskPriority,
  TaskReminderEvent,
  TaskSort,
  TaskStatus,
  TokenExpiringEvent,
  TypingEvent,
  UnsubscribedReply,
  UpdateTaskBody,
  WorkspaceError,
} from './generated/protocol.js';

export type * from './generated/protocol.js';

/** A stored group message, as sockets deliver it and history routes return it. */
export type MessageEvent = Message;
/** An org-wide announcement. */
export type BroadcastEvent = Broadcast;
export type TaskInput = CreateTaskBody;
export type TaskUpdate = UpdateTaskBody;
/** The reply to `unsubscribe`, or the server ending a subscription (`req` null, a `reason`). */
export type UnsubscribedEvent = UnsubscribedReply;

/** `GET /orgs/{orgId}/tasks` filters; lists are sent comma-separated. */
export interface TaskListFilters {
  status?: TaskStatus[];
  priority?: TaskPriority[];
  user_id?: string;
  created_by?: string;
  due_before?: string;
  due_after?: string;
  overdue?: boolean;
  q?: string;
  sort?: TaskSort;
  limit?: number;
  cursor?: string;
}

/** Every frame the server sends on a group socket. */
export type ServerFrame =
  | MessageEvent
  | BroadcastEvent
  | TaskEvent
  | TaskReminderEvent
  | PresenceEvent
  | DmOpenedEvent
  | GroupAddedEvent
  | ErrorFrame
  | { type: 'pong' };

/** Every frame the server sends on the workspace socket, `GET /ws`. */
export type WorkspaceServerFrame =
  | (MessageEvent & { req?: string })
  | BroadcastEvent
  | TaskEvent
  | TaskReminderEvent
  | PresenceEvent
  | TypingEvent
  | ReadEvent
  | ReadReply
  | SubscribedReply
  | UnsubscribedReply
  | HistoryReply
  | PresenceReply
  | AuthenticatedReply
  | PongReply
  | TokenExpiringEvent
  | AccessRevokedEvent
  | DmOpenedEvent
  | GroupAddedEvent
  | WorkspaceError;
