import { Http, type Query } from './http.js';
import { Session, type StoredSession } from './session.js';
import { GroupSocket, type GroupSocketOptions } from './socket.js';
import type { WorkspaceSocketOptions } from './workspace-events.js';
import { WorkspaceSocket } from './workspace-socket.js';
import type {
  ApiKey,
  ApiKeyCreated,
  BroadcastEvent,
  CreateApiKeyBody,
  BroadcastPage,
  CreateUserBody,
  Dm,
  Group,
  GroupCreated,
  LoginBody,
  MeResponse,
  MessageEvent,
  MessagePage,
  MessageSearchPage,
  MessageSearchQuery,
  Notification,
  Org,
  OrgCreated,
  PresentUser,
  ReadCursor,
  SignupBody,
  SignupResponse,
  Task,
  TaskActivity,
  TaskInput,
  TaskListFilters,
  TaskPage,
  TaskStatus,
  TaskUpdate,
  TokenResponse,
  UpdateUserBody,
  User,
} from './types.js';

export interface ClientOptions {
  /** Server origin, e.g. `https://orghub.example.com` (default: the page's origin in a browser). */
  baseUrl?: string;
  /** A stored session to resume (from `client.session.current`). */
  session?: StoredSession | null;
  /** A fixed bearer token instead of a session (the operator's ADMIN_TOKEN, an API key, scripts). */
  token?: string;
  fetch?: typeof fetch;
  /** Refresh the access token this long before it expires (default 30 s). */
  refreshSkewMs?: number;
}

const enc = encodeURIComponent;

/** A task with the version from its ETag, for optimistic concurrency with `If-Match`. */
export type VersionedTask = Task;

/** REST client for every route of CONTRACT.md. Sockets are opened from it with `group()`. */
export class OrgHubClient {
  readonly http: Http;
  readonly session: Session;
  /** Where requests and new socket connections go; may be changed (failover, tests). */
  baseUrl: string;

  constructor(opts: ClientOptions = {}) {
    this.baseUrl =
      opts.baseUrl ?? (typeof location !== 'undefined' ? location.origin : 'http://localhost:8080');
    const fixed = opts.token;
    this.session = new Session(
      fixed
        ? { access_token: fixed, refresh_token: null, expires_at: Infinity }
        : (opts.session ?? null),
      (rt) => this.refreshTokens(rt),
      opts.refreshSkewMs,
    );
    this.http = new Http(() => this.baseUrl, this.session, opts.fetch);
  }

  private async call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    return (await this.http.request<T>(method, path, { body, query })).body;
  }

  // --- auth ---
  async login(body: LoginBody): Promise<TokenResponse> {
    const r = await this.http.request<TokenResponse>('POST', '/api/v1/auth/login', {
      body,
      anonymous: true,
    });
    this.session.set(r.body);
    return r.body;
  }
  async signup(body: SignupBody): Promise<SignupResponse> {
    const r = await this.http.request<SignupResponse>('POST', '/api/v1/auth/signup', {
      body,
      anonymous: true,
    });
    this.session.set(r.body);
    return r.body;
  }
  private async refreshTokens(refresh_token: string): Promise<TokenResponse> {
    const r = await this.http.request<TokenResponse>('POST', '/api/v1/auth/refresh', {
      body: { refresh_token },
      anonymous: true,
    });
    return r.body;
  }
  async logout(): Promise<void> {
    const rt = this.session.current?.refresh_token;
    try {
      if (rt)
        await this.http.request('POST', '/api/v1/auth/logout', {
          body: { refresh_token: rt },
          anonymous: true,
        });
    } finally {
      this.session.set(null);
    }
  }
  me(): Promise<MeResponse> {
    return this.call('GET', '/api/v1/auth/me');
  }

  // --- orgs and groups ---
  /** The org, plus the seed's answer fields (`org_id`, `status`, `message`). */
  createOrg(body: { id: string; name: string }): Promise<OrgCreated> {
    return this.call('POST', '/api/v1/orgs', body);
  }
  listOrgs(): Promise<Org[]> {
    return this.call('GET', '/api/v1/orgs');
  }
  getOrg(orgId: string): Promise<Org> {
    return this.call('GET', `/api/v1/orgs/${enc(orgId)}`);
  }
  createGroup(
    orgId: string,
    body: { id: string; name: string; private?: boolean },
  ): Promise<GroupCreated> {
    return this.call('POST', `/api/v1/orgs/${enc(orgId)}/groups`, body);
  }
  listGroups(orgId: string): Promise<Group[]> {
    return this.call('GET', `/api/v1/orgs/${enc(orgId)}/groups`);
  }
  async addMember(orgId: string, groupId: string, userId: string): Promise<void> {
    await this.call(
      'PUT',
      `/api/v1/orgs/${enc(orgId)}/groups/${enc(groupId)}/members/${enc(userId)}`,
    );
  }
  async removeMember(orgId: string, groupId: string, userId: string): Promise<void> {
    await this.call(
      'DELETE',
      `/api/v1/orgs/${enc(orgId)}/groups/${enc(groupId)}/members/${enc(userId)}`,
    );
  }

  // --- API keys (admins, the operator) ---
  /** The answer is the only place the key (`key`) is ever shown: store it now. */
  createApiKey(orgId: string, body: CreateApiKeyBody): Promise<ApiKeyCreated> {
    return this.call('POST', `/api/v1/orgs/${enc(orgId)}/api-keys`, body);
  }
  async listApiKeys(orgId: string): Promise<ApiKey[]> {
    return (await this.call<{ api_keys: ApiKey[] }>('GET', `/api/v1/orgs/${enc(orgId)}/api-keys`))
      .api_keys;
  }
  async revokeApiKey(orgId: string, id: string): Promise<void> {
    await this.call('DELETE', `/api/v1/orgs/${enc(orgId)}/api-keys/${enc(id)}`);
  }

  // --- users ---
  createUser(body: CreateUserBody): Promise<User> {
    return this.call('POST', '/api/v1/users', body);
  }
  getUser(id: string): Promise<User> {
    return this.call('GET', `/api/v1/users/${enc(id)}`);
  }
  updateUser(id: string, body: UpdateUserBody): Promise<User> {
    return this.call('PUT', `/api/v1/users/${enc(id)}`, body);
  }
  async deleteUser(id: string): Promise<void> {
    await this.call('DELETE', `/api/v1/users/${enc(id)}`);
  }
  searchUser(username: string, orgId?: string): Promise<User> {
    return this.call('GET', '/api/v1/users/search', undefined, { username, org_id: orgId });
  }
  listUsers(orgId: string): Promise<User[]> {
    return this.call('GET', `/api/v1/orgs/${enc(orgId)}/users`);
  }

  // --- messages ---
  private groupPath(orgId: string, groupId: string) {
    return `/api/v1/orgs/${enc(orgId)}/groups/${enc(groupId)}`;
  }
  /**
   * Newest first; page backwards with `before_seq` = the smallest seq you hold. With
   * `around_seq` (a search hit), oldest first: `limit` before it, it, and `limit` after.
   */
  messages(
    orgId: string,
    groupId: string,
    q: { limit?: number; before_seq?: number; around_seq?: number } = {},
  ): Promise<MessagePage> {
    return this.call('GET', `${this.groupPath(orgId, groupId)}/messages`, undefined, q);
  }
  /**
   * Search the history of every group and DM you may read (web-search syntax), ranked,
   * newest first on ties; each hit has `highlight` (HTML, matches in `<mark>`). Page on with
   * `cursor` = the previous page's `next_cursor`.
   */
  searchMessages(
    orgId: string,
    q: Omit<MessageSearchQuery, 'limit'> & { limit?: number },
  ): Promise<MessageSearchPage> {
    return this.call('GET', `/api/v1/orgs/${enc(orgId)}/messages/search`, undefined, q);
  }
  /** Oldest first. */
  messagesAfter(
    orgId: string,
    groupId: string,
    q: { after?: number; after_seq?: number; limit?: number },
  ): Promise<MessagePage> {
    return this.call('GET', `${this.groupPath(orgId, groupId)}/messages/after`, undefined, q);
  }
  messagesBetween(
    orgId: string,
    groupId: string,
    q: { start: number; end: number; limit?: number },
  ): Promise<MessagePage> {
    return this.call('GET', `${this.groupPath(orgId, groupId)}/messages/between`, undefined, q);
  }
  /** Users online in the group, on any device and any node. */
  presence(orgId: string, groupId: string): Promise<PresentUser[]> {
    return this.call('GET', `${this.groupPath(orgId, groupId)}/presence`);
  }
  async messageCount(orgId: string, groupId: string): Promise<number> {
    return (
      await this.call<{ count: number }>('GET', `${this.groupPath(orgId, groupId)}/messages/count`)
    ).count;
  }
  postMessage(
    orgId: string,
    groupId: string,
    body: { content: string; client_id?: string; client_msg_id?: string },
  ): Promise<{ status: string; message: MessageEvent }> {
    return this.call('POST', `${this.groupPath(orgId, groupId)}/broadcast`, body);
  }
  broadcast(orgId: string, content: string): Promise<{ status: string; message: BroadcastEvent }> {
    return this.call('POST', `/api/v1/orgs/${enc(orgId)}/broadcast`, { content });
  }
  /** The org's announcements, newest first. */
  listBroadcasts(orgId: string, q: { limit?: number } = {}): Promise<BroadcastPage> {
    return this.call('GET', `/api/v1/orgs/${enc(orgId)}/broadcasts`, undefined, q);
  }

  // --- tasks ---
  createTask(userId: string, body: TaskInput): Promise<Task> {
    return this.call('POST', `/api/v1/users/${enc(userId)}/tasks`, body);
  }
  userTasks(userId: string, status?: TaskStatus): Promise<Task[]> {
    return this.call('GET', `/api/v1/users/${enc(userId)}/tasks`, undefined, { status });
  }
  dueSoon(userId: string, hours?: number): Promise<Task[]> {
    return this.call('GET', `/api/v1/users/${enc(userId)}/tasks/due-soon`, undefined, { hours });
  }
  getTask(id: string): Promise<Task> {
    return this.call('GET', `/api/v1/tasks/${enc(id)}`);
  }
  /** With `ifVersion`, fails with a 412 `version_conflict` OrgHubError when someone changed it first. */
  async updateTask(id: string, body: TaskUpdate, ifVersion?: number): Promise<Task> {
    const headers: Record<string, string> =
      ifVersion === undefined ? {} : { 'if-match': `"${ifVersion}"` };
    return (await this.http.request<Task>('PUT', `/api/v1/tasks/${enc(id)}`, { body, headers }))
      .body;
  }
  async deleteTask(id: string): Promise<void> {
    await this.call('DELETE', `/api/v1/tasks/${enc(id)}`);
  }
  listTasks(orgId: string, f: TaskListFilters = {}): Promise<TaskPage> {
    const query: Query = {
      ...f,
      status: f.status?.join(','),
      priority: f.priority?.join(','),
      overdue: f.overdue ? 'true' : undefined,
    };
    return this.call('GET', `/api/v1/orgs/${enc(orgId)}/tasks`, undefined, query);
  }
  /** Every page of a filtered list, following `next_cursor`. */
  async *allTasks(orgId: string, f: TaskListFilters = {}): AsyncGenerator<Task> {
    let cursor = f.cursor;
    do {
      const page = await this.listTasks(orgId, { ...f, cursor });
      yield* page.tasks;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  taskActivity(id: string): Promise<TaskActivity[]> {
    return this.call<{ activity: TaskActivity[] }>('GET', `/api/v1/tasks/${enc(id)}/activity`).then(
      (r) => r.activity,
    );
  }

  // --- notifications ---
  /** The caller's notifications (stored reminders), newest first. */
  async notifications(q: { unread?: boolean; limit?: number } = {}): Promise<Notification[]> {
    const r = await this.call<{ notifications: Notification[] }>(
      'GET',
      '/api/v1/notifications',
      undefined,
      { unread: q.unread ? 'true' : undefined, limit: q.limit },
    );
    return r.notifications;
  }
  markNotificationRead(id: string): Promise<Notification> {
    return this.call('POST', `/api/v1/notifications/${enc(id)}/read`);
  }

  // --- read cursors and direct messages ---
  /** Moves the caller's read cursor (never backwards, clamped to the last seq). */
  markRead(orgId: string, groupId: string, seq: number): Promise<ReadCursor> {
    return this.call('PUT', `${this.groupPath(orgId, groupId)}/read`, { seq });
  }
  /** The DM with a user of the org, created on first use (idempotent). */
  openDm(orgId: string, userId: string): Promise<Dm> {
    return this.call('POST', `/api/v1/orgs/${enc(orgId)}/dms/${enc(userId)}`);
  }
  /** The caller's DMs, latest activity first. */
  listDms(orgId: string): Promise<Dm[]> {
    return this.call('GET', `/api/v1/orgs/${enc(orgId)}/dms`);
  }

  // --- ops ---
  health(): Promise<Record<string, unknown>> {
    return this.call('GET', '/api/v1/health');
  }

  /** A socket on one group (not connected until `connect()`). */
  group(
    orgId: string,
    groupId: string,
    opts: Omit<GroupSocketOptions, 'baseUrl' | 'orgId' | 'groupId' | 'tokens'> = {},
  ) {
    return new GroupSocket({
      ...opts,
      baseUrl: () => this.baseUrl,
      orgId,
      groupId,
      tokens: this.session,
    });
  }

  /** The workspace socket (`GET /ws`) for all of the user's groups and DMs; call `connect()`. */
  workspace(opts: Omit<WorkspaceSocketOptions, 'baseUrl' | 'tokens'> = {}): WorkspaceSocket {
    return new WorkspaceSocket({ ...opts, baseUrl: () => this.baseUrl, tokens: this.session });
  }
}
