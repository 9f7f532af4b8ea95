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

export interface MessagePage {
  messages: MessageEvent[];
  count: number;
}

export interface Notification {
  id: string;
  [key: string]: unknown;
}
