/**
 * Wire types of the OrgHub contract (CONTRACT.md). They mirror the TypeBox schemas in the
 * server's `src/protocol/`, re-declared here so the published SDK and the browser bundle
 * carry no server code and no runtime dependency.
 */

export type Role = 'admin' | 'member';

export interface User {
  id: string;
  username: string;
  email: string;
  full_name: string;
  org_id: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface Org {
  id: string;
  name: string;
  created_at: string;
}

export interface Group {
  id: string;
  org_id: string;
  name: string;
  private: boolean;
  created_at: string;
  /** Present when the server offers read cursors (issue 6 extras). */
  unread_count?: number;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: User;
}

export interface SignupResponse extends Omit<TokenResponse, 'user'> {
  org: Org;
  user: User;
}

export type MeResponse = User | { operator: true };

export interface LoginBody {
  org_id: string;
  username?: string;
  email?: string;
  password: string;
}

export interface SignupBody {
  org_id: string;
  org_name: string;
  username: string;
  email: string;
  password: string;
  full_name?: string;
}

export interface CreateUserBody {
  username: string;
  email: string;
  full_name?: string;
  org_id: string;
  password: string;
  role?: Role;
}

export type UpdateUserBody = Partial<
  Pick<CreateUserBody, 'full_name' | 'email' | 'password' | 'role'>
>;

export interface MessageEvent {
  type: 'message';
  id: string;
  seq: number;
  org_id: string;
  group_id: string;
  user_id: string | null;
  username: string;
  client_id: string | null;
  client_msg_id: string | null;
  content: string;
  timestamp: string;
}

export interface BroadcastEvent {
  type: 'broadcast';
  id: string;
  org_id: string;
  user_id: string | null;
  content: string;
  timestamp: string;
}

export type TaskStatus = 'pending' | 'in_progress' | 'completed' | 'cancelled';
export type TaskPriority = 'low' | 'medium' | 'high' | 'urgent';
export type Reminder = { at: string } | { before_due_minutes: number };

export interface Task {
  id: string;
  org_id: string;
  user_id: string;
  created_by: string | null;
  title: string;
  description: string;
  status: TaskStatus;
  priority: TaskPriority;
  due_date: string | null;
  reminders: Reminder[];
  version: number;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface TaskInput {
  title: string;
  description?: string;
  priority?: TaskPriority;
  status?: TaskStatus;
  due_date?: string | null;
  reminders?: Reminder[];
}

export type TaskUpdate = Partial<TaskInput> & { user_id?: string };

export type TaskSort =
  | 'due_date'
  | '-due_date'
  | 'priority'
  | '-priority'
  | 'created_at'
  | '-created_at'
  | 'updated_at'
  | '-updated_at';

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

export interface TaskPage {
  tasks: Task[];
  next_cursor: string | null;
}

export interface TaskEvent {
  type: 'task.created' | 'task.updated' | 'task.deleted';
  id: string;
  task: Task;
}

export interface TaskReminderEvent {
  type: 'task.reminder';
  id: string;
  task: Task;
  reminder: Reminder;
}

export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
  client_msg_id?: string | null;
}

/** A user with at least one socket on a group (any device, any node). */
export interface PresentUser {
  user_id: string;
  username: string;
}

/** A user's first socket on the group connected (join) or their last one closed (leave). */
export interface PresenceEvent extends PresentUser {
  type: 'presence.join' | 'presence.leave';
  id: string;
  org_id: string;
  group_id: string;
}

export type ServerFrame =
  | MessageEvent
  | BroadcastEvent
  | TaskEvent
  | TaskReminderEvent
  | PresenceEvent
  | ErrorFrame
  | { type: 'pong' };

// --- the workspace socket, GET /ws ---

/** Reply to `subscribe`; then the replay after `since_seq`, then live messages. */
export interface SubscribedReply {
  type: 'subscribed';
  req: string;
  group_id: string;
  last_seq: number;
  /** False when messages after `since_seq` are gone (retention): the client has a gap. */
  recovered: boolean;
}

/** Reply to `unsubscribe` (with its req), or the server ending a subscription (req null). */
export interface UnsubscribedEvent {
  type: 'unsubscribed';
  req: string | null;
  group_id: string;
  reason?: 'removed' | 'gone' | 'failed';
  message?: string;
}

export interface HistoryReply {
  type: 'history';
  req: string;
  group_id: string;
  messages: MessageEvent[];
}

export interface ReadCursor {
  group_id: string;
  last_read_seq: number;
  last_seq: number;
  unread_count: number;
}

/** Reply to a `read` frame. */
export interface ReadReply extends ReadCursor {
  type: 'read';
  req: string;
  seq: number;
}

/** The user's read cursor moved on another of their sockets. */
export interface ReadEvent {
  type: 'read';
  id: string;
  group_id: string;
  seq: number;
}

export interface TypingEvent {
  type: 'typing';
  group_id: string;
  user_id: string;
  username: string;
  stopped?: true;
}

export interface AuthenticatedReply {
  type: 'authenticated';
  req: string;
  expires_at: string | null;
}

export interface PongReply {
  type: 'pong';
  req: string;
}

/** Answer with an `auth` frame carrying a fresh access token, or be closed with 4001. */
export interface TokenExpiringEvent {
  type: 'token.expiring';
  expires_at: string;
}

export interface AccessRevokedEvent {
  type: 'access.revoked';
  id: string;
  reason: 'logout' | 'deleted' | 'role' | 'removed';
  group_id?: string;
  session_id?: string;
}

export interface WorkspaceError {
  type: 'error';
  req: string | null;
  code:
    | 'bad_request'
    | 'unauthorized'
    | 'not_found'
    | 'forbidden'
    | 'payload_too_large'
    | 'rate_limited'
    | 'unavailable';
  message: string;
  group_id?: string;
}

/** Every frame the server sends on `/ws`. */
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
  | UnsubscribedEvent
  | HistoryReply
  | AuthenticatedReply
  | PongReply
  | TokenExpiringEvent
  | AccessRevokedEvent
  | WorkspaceError;

/** A direct message conversation (`POST /orgs/{orgId}/dms/{userId}`). */
export interface Dm {
  id: string;
  org_id: string;
  kind: 'dm';
  other_user: { id: string; username: string };
  last_seq: number;
  last_read_seq: number;
  unread_count: number;
  created_at: string;
}

export interface BroadcastPage {
  broadcasts: BroadcastEvent[];
  count: number;
}

export interface TaskActivity {
  id: string;
  task_id: string;
  actor_id: string | null;
  actor_name: string;
  action: 'created' | 'updated' | 'deleted';
  changes: Record<string, { from: unknown; to: unknown }>;
  version: number;
  created_at: string;
}

export interface MessagePage {
  messages: MessageEvent[];
  count: number;
}

export interface Notification {
  id: string;
  [key: string]: unknown;
}
