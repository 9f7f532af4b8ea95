import { Emitter, backoffDelay } from './emitter.js';
import { OrgHubError } from './errors.js';
import type { WebSocketCtor, WebSocketLike } from './socket.js';
import type {
  HistoryReply,
  MessageEvent,
  PresenceReply,
  PresentUser,
  ReadReply,
  SubscribedReply,
  WorkspaceServerFrame,
} from './types.js';
import type {
  SubscribeResult,
  WorkspaceEvents,
  WorkspaceSocketOptions,
  WorkspaceState,
} from './workspace-events.js';
import { RequestTable, WorkspaceRequestError, socketClosed } from './workspace-requests.js';

/** Close codes of `/ws` (README, "The workspace socket"). */
const TOKEN_EXPIRED = 4001;
const SESSION_ENDED = 4003;
const PERMANENT_CLOSE = new Set([1008, 1009]);

interface Subscription {
  /** The last seq delivered to the app (the resume point); null until the server tells it. */
  lastSeq: number | null;
  /** Whether the server has answered a subscribe of it (so a later one is a resume). */
  established: boolean;
  /** Resubscribed after a reconnect: its reply is reported as `recovered`. */
  resuming: boolean;
  waiters: { resolve: (r: SubscribeResult) => void; reject: (e: Error) => void }[];
}

interface PendingPublish {
  groupId: string;
  content: string;
  resolve: (m: MessageEvent) => void;
  reject: (e: Error) => void;
}

/**
 * The workspace socket, `GET /ws`: all of a user's groups and DMs over one connection.
 *
 * Guarantees: each subscribed group's messages reach `message` at most once and in seq order;
 * subscriptions survive reconnects (each is resumed from the last seq delivered, and
 * `recovered` says whether the gap was filled); a `publish()` is re-sent with the same
 * client_msg_id after a reconnect until the server acknowledges it (the server stores a
 * client_msg_id once), so it is never lost nor stored twice; every other request rejects when
 * its connection drops or the socket closes.
 */
export class WorkspaceSocket extends Emitter<WorkspaceEvents> {
  private ws: WebSocketLike | undefined;
  private _state: WorkspaceState = 'idle';
  private attempt = 0;
  private connections = 0;
  private forceRefresh = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastHeard = 0;
  private openWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly subs = new Map<string, Subscription>();
  private readonly publishes = new Map<string, PendingPublish>();
  /** req of a publish frame on the current connection → its client_msg_id. */
  private readonly publishReqs = new Map<string, string>();
  /** req of a subscribe frame on the current connection → what it subscribes. */
  private readonly subscribeReqs = new Map<string, { groupId: string; sub: Subscription }>();
  private readonly requests = new RequestTable();
  private readonly typingSentAt = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private counter = 0;
  private readonly prefix = Math.random().toString(36).slice(2, 10);

  constructor(private readonly opts: WorkspaceSocketOptions) {
    super();
  }

  get state(): WorkspaceState {
    return this._state;
  }

  /** The groups this socket keeps subscribed, with the last seq delivered of each. */
  get subscriptions(): ReadonlyMap<string, number | null> {
    return new Map([...this.subs].map(([g, s]) => [g, s.lastSeq]));
  }

  /** Resolves once the socket is open (at once if it is); rejects if it is closed first. */
  ready(): Promise<void> {
    if (this.isOpen()) return Promise.resolve();
    if (this._state === 'closed') return Promise.reject(socketClosed());
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  connect(): this {
    if (this._state === 'idle' || this._state === 'closed') {
      this.attempt = 0;
      void this.open('connecting');
    }
    return this;
  }

  /** Closes for good: pending publishes, subscribes and requests reject. */
  close(): void {
    clearTimeout(this.timer);
    clearTimeout(this.pingTimer);
    this.setState('closed');
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(1000, 'client closed');
    }
    const err = socketClosed();
    this.requests.rejectAll(err);
    for (const p of this.publishes.values()) p.reject(err);
    this.publishes.clear();
    this.publishReqs.clear();
    this.subscribeReqs.clear();
    for (const s of this.subs.values()) for (const w of s.waiters.splice(0)) w.reject(err);
    for (const w of this.openWaiters.splice(0)) w.reject(err);
  }

  /**
   * Subscribes to a group or DM (remembered across reconnects). With `sinceSeq`, the messages
   * after it are replayed first; without, the stream starts at the present. A group already
   * subscribed goes on from the last seq delivered, whatever `sinceSeq` says. Made before the
   * socket is open, it is sent once it is.
   */
  subscribe(groupId: string, opts: { sinceSeq?: number } = {}): Promise<SubscribeResult> {
    if (this._state === 'closed') return Promise.reject(socketClosed());
    let sub = this.subs.get(groupId);
    if (!sub) {
      sub = { lastSeq: null, established: false, resuming: false, waiters: [] };
      this.subs.set(groupId, sub);
    }
    // A group already delivered resumes where it is: going back would deliver seqs twice.
    if (opts.sinceSeq !== undefined && sub.lastSeq === null) sub.lastSeq = opts.sinceSeq;
    const s = sub;
    return new Promise((resolve, reject) => {
      s.waiters.push({ resolve, reject });
      if (this.isOpen()) this.sendSubscribe(groupId, s);
    });
  }

  /** Forgets a group; nothing more of it is delivered. */
  async unsubscribe(groupId: string): Promise<void> {
    const sub = this.subs.get(groupId);
    if (!sub) return;
    this.subs.delete(groupId);
    for (const w of sub.waiters.splice(0)) w.reject(new Error('unsubscribed'));
    if (this.isOpen()) {
      await this.request({ type: 'unsubscribe', group_id: groupId }).catch(() => undefined);
    }
  }

  /** Sends a message; resolves with it once stored (its seq), after reconnects if need be. */
  publish(
    groupId: string,
    content: string,
    clientMsgId = `${this.prefix}-${++this.counter}`,
  ): Promise<MessageEvent> {
    if (this._state === 'closed') return Promise.reject(socketClosed());
    return new Promise((resolve, reject) => {
      this.publishes.set(clientMsgId, { groupId, content, resolve, reject });
      if (this.isOpen()) this.sendPublish(clientMsgId);
    });
  }

  /**
   * A page of stored messages, newest first (`beforeSeq` to page back). Like `read` and
   * `presence`, it waits for the socket to be open, and rejects when the connection drops
   * before the answer (ask again) or the socket is closed.
   */
  async history(
    groupId: string,
    opts: { beforeSeq?: number; limit?: number } = {},
  ): Promise<MessageEvent[]> {
    const r = await this.request<HistoryReply>({
      type: 'history',
      group_id: groupId,
      ...(opts.beforeSeq !== undefined && { before_seq: opts.beforeSeq }),
      ...(opts.limit !== undefined && { limit: opts.limit }),
    });
    return r.messages;
  }

  /** Moves the read cursor (never backwards); the user's other devices get `read`. */
  read(groupId: string, seq: number): Promise<ReadReply> {
    return this.request<ReadReply>({ type: 'read', group_id: groupId, seq });
  }

  /** Who is online in a group now (then `presence.join` / `presence.leave` keep it current). */
  async presence(groupId: string): Promise<PresentUser[]> {
    return (await this.request<PresenceReply>({ type: 'presence', group_id: groupId })).users;
  }

  /**
   * Tells the group's other members this user is typing. Call it on every keystroke: frames
   * are throttled to the server's rate (one a second per group); dropped while disconnected.
   */
  typing(groupId: string): void {
    if (!this.isOpen() || !this.subs.has(groupId)) return;
    const now = Date.now();
    const last = this.typingSentAt.get(groupId);
    if (last !== undefined && now - last < (this.opts.typingIntervalMs ?? 1000)) return;
    this.typingSentAt.set(groupId, now);
    this.transmit({ type: 'typing', req: this.nextReq(), group_id: groupId });
  }

  // --- connection state machine ---

  private isOpen(): boolean {
    return this._state === 'open' && this.ws !== undefined;
  }

  private setState(s: WorkspaceState) {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  private nextDelay(): number {
    return backoffDelay(
      this.attempt++,
      this.opts.backoffBaseMs ?? 250,
      this.opts.backoffCapMs ?? 15_000,
    );
  }

  private retryIn(ms: number) {
    this.setState('reconnecting');
    this.timer = setTimeout(() => void this.open('reconnecting'), ms);
  }

  private async open(state: 'connecting' | 'reconnecting') {
    this.setState(state);
    let token: string;
    try {
      token = this.forceRefresh
        ? await this.opts.tokens.refresh()
        : await this.opts.tokens.accessToken();
      this.forceRefresh = false;
    } catch (err) {
      if (this._state === 'closed') return;
      // Only the server refusing the session is final; a refresh that could not reach it
      // (the server is restarting) is retried like any other failed connection.
      if (err instanceof TypeError || (err instanceof OrgHubError && err.status >= 500)) {
        this.retryIn(this.nextDelay());
        return;
      }
      this.emit('error', { type: 'client', code: 'unauthorized', message: String(err) });
      this.close();
      return;
    }
    if (this._state === 'closed') return;
    const Ctor = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!Ctor) throw new Error('no WebSocket implementation: pass the WebSocket option');
    const base = typeof this.opts.baseUrl === 'function' ? this.opts.baseUrl() : this.opts.baseUrl;
    const u = new URL('/ws', base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('access_token', token);
    const ws = new Ctor(u.toString());
    this.ws = ws;
    let opened = false;
    let failure = '';
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.attempt = 0;
      const reconnect = this.connections++ > 0;
      this.setState('open');
      this.lastHeard = Date.now();
      this.armPing(ws);
      // Subscriptions first: the server handles frames in order, so a re-sent publish is
      // answered in its group's stream after the replay.
      for (const [g, s] of this.subs) {
        s.resuming = s.established;
        this.sendSubscribe(g, s);
      }
      for (const id of this.publishes.keys()) this.sendPublish(id);
      for (const w of this.openWaiters.splice(0)) w.resolve();
      this.emit('connected', { reconnect });
    };
    ws.onerror = (ev) => {
      failure = String(
        (ev as { message?: string }).message ?? (ev as { error?: unknown }).error ?? '',
      );
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.onFrame(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      clearTimeout(this.pingTimer);
      this.dropConnection();
      // Browsers hide the HTTP status of a refused upgrade, so any failure before open may be
      // an expired token: refresh it when the refusal says 401, or after two blind failures.
      if (ev.code === TOKEN_EXPIRED) this.forceRefresh = true;
      if (!opened && (/401/.test(failure) || this.attempt === 1)) this.forceRefresh = true;
      const ended = ev.code === SESSION_ENDED;
      const permanent = ended || PERMANENT_CLOSE.has(ev.code) || /\b40[34]\b/.test(failure);
      if (permanent) {
        this.emit('disconnected', {
          code: ev.code,
          reason: ev.reason,
          willReconnect: false,
          retryInMs: null,
        });
        this.emit('error', {
          type: 'client',
          code: ended ? 'session_ended' : 'refused',
          message: ev.reason || failure || `closed with ${ev.code}`,
        });
        this.close();
        return;
      }
      const retryIn = this.nextDelay();
      this.emit('disconnected', {
        code: ev.code,
        reason: ev.reason,
        willReconnect: true,
        retryInMs: retryIn,
      });
      this.retryIn(retryIn);
    };
  }

  /** The connection is gone: requests made on it fail; publishes and subscriptions wait. */
  private dropConnection() {
    this.requests.rejectAll(new Error('disconnected'));
    this.publishReqs.clear();
    this.subscribeReqs.clear();
    this.typingSentAt.clear();
  }

  /**
   * Liveness for browsers, which cannot see protocol pings: after `pingIntervalMs` without a
   * frame, a `ping`; no answer within `pingTimeoutMs` and the connection is given up at once
   * (a dead link's close handshake could take much longer).
   */
  private armPing(ws: WebSocketLike) {
    clearTimeout(this.pingTimer);
    const every = this.opts.pingIntervalMs ?? 30_000;
    if (every <= 0) return;
    const check = () => {
      if (this.ws !== ws) return;
      const quiet = Date.now() - this.lastHeard;
      if (quiet < every) {
        this.pingTimer = setTimeout(check, every - quiet);
        return;
      }
      this.request({ type: 'ping' }, this.opts.pingTimeoutMs ?? 10_000).then(
        () => {
          if (this.ws === ws) this.pingTimer = setTimeout(check, every);
        },
        (err: unknown) => {
          if (this.ws !== ws || !(err instanceof Error) || err.message !== 'timeout') return;
          const onclose = ws.onclose;
          ws.onclose = null;
          ws.onmessage = null;
          ws.close(4000, 'no pong');
          onclose?.({ code: 4000, reason: 'no pong' });
        },
      );
    };
    this.pingTimer = setTimeout(check, every);
  }

  // --- frames out ---

  private nextReq(): string {
    return `${this.prefix}.${++this.counter}`;
  }

  private transmit(frame: object) {
    this.ws?.send(JSON.stringify(frame));
  }

  /** Sent once the socket is open; rejects if its connection drops before the reply. */
  private async request<T>(frame: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (!this.isOpen()) await this.ready();
    const req = this.nextReq();
    const p = this.requests.add<T>(req, timeoutMs);
    this.transmit({ ...frame, req });
    return p;
  }

  private sendSubscribe(groupId: string, sub: Subscription) {
    const req = this.nextReq();
    const since = sub.lastSeq;
    this.subscribeReqs.set(req, { groupId, sub });
    this.transmit({
      type: 'subscribe',
      req,
      group_id: groupId,
      ...(since !== null && { since_seq: since }),
    });
  }

  /**
   * Handled as the frame arrives, not a promise turn later: the replay may come in the same
   * network read, and must find the resume point set and follow `recovered`.
   */
  private onSubscribed(r: SubscribedReply) {
    const pending = this.subscribeReqs.get(r.req);
    if (!pending) return;
    this.subscribeReqs.delete(r.req);
    const { groupId, sub } = pending;
    if (this.subs.get(groupId) !== sub) return;
    // Without a resume point the stream starts after last_seq: that is the resume point now.
    sub.lastSeq ??= r.last_seq;
    const result = { last_seq: r.last_seq, recovered: r.recovered };
    const waiters = sub.waiters.splice(0);
    for (const w of waiters) w.resolve(result);
    sub.established = true;
    if (sub.resuming) {
      sub.resuming = false;
      this.emit('recovered', { group_id: groupId, recovered: r.recovered });
    }
  }

  private sendPublish(clientMsgId: string) {
    const p = this.publishes.get(clientMsgId);
    if (!p) return;
    const req = this.nextReq();
    this.publishReqs.set(req, clientMsgId);
    this.transmit({
      type: 'publish',
      req,
      group_id: p.groupId,
      content: p.content,
      client_msg_id: clientMsgId,
    });
  }

  // --- frames in ---

  private onFrame(data: unknown) {
    let f: WorkspaceServerFrame;
    try {
      f = JSON.parse(typeof data === 'string' ? data : String(data)) as WorkspaceServerFrame;
    } catch {
      return;
    }
    this.lastHeard = Date.now();
    const req = 'req' in f && typeof f.req === 'string' ? f.req : undefined;
    switch (f.type) {
      case 'message':
        return this.onMessage(f, req);
      case 'error':
        return this.onError(f, req);
      case 'token.expiring':
        this.emit('token.expiring', f);
        return void this.renewToken();
      case 'unsubscribed':
        if (req !== undefined) return void this.requests.settle(req, f);
        this.subs.delete(f.group_id);
        return this.emit('unsubscribed', f);
      case 'read':
        if ('req' in f) return void this.requests.settle(f.req, f);
        if (this.remember(f.id)) this.emit('read', f);
        return;
      case 'subscribed':
        return this.onSubscribed(f);
      case 'history':
      case 'presence':
      case 'authenticated':
      case 'pong':
        if (req !== undefined) this.requests.settle(req, f);
        return;
      case 'typing':
        if (this.subs.has(f.group_id)) this.emit('typing', f);
        return;
      case 'access.revoked':
        return this.emit('access.revoked', f);
      default:
        // broadcast, task.*, presence.*: org and user channel events, deduplicated by id.
        if (this.remember(f.id)) this.emit(f.type, f as never);
    }
  }

  private onMessage(m: MessageEvent & { req?: string }, req: string | undefined) {
    const sub = this.subs.get(m.group_id);
    // A reply to a re-sent publish that was stored before (a duplicate) comes at once, maybe
    // ahead of the replay still under way: it joins the stream only when it is the next seq,
    // else the replay delivers it in its place (and what comes before it is not skipped).
    const inOrder =
      sub !== undefined &&
      (sub.lastSeq === null ||
        (req === undefined ? m.seq > sub.lastSeq : m.seq === sub.lastSeq + 1));
    if (sub && inOrder) {
      sub.lastSeq = m.seq;
      const { req: _, ...message } = m;
      this.emit('message', message);
    }
    const id = req !== undefined ? this.publishReqs.get(req) : undefined;
    if (id === undefined) return;
    this.publishReqs.delete(req!);
    const p = this.publishes.get(id);
    if (!p) return;
    this.publishes.delete(id);
    const { req: _, ...message } = m;
    p.resolve(message);
  }

  private onError(e: Extract<WorkspaceServerFrame, { type: 'error' }>, req: string | undefined) {
    const id = req !== undefined ? this.publishReqs.get(req) : undefined;
    if (id !== undefined) {
      this.publishReqs.delete(req!);
      const p = this.publishes.get(id);
      if (p && e.code === 'unavailable') {
        // Nothing was stored (the database hiccupped): the same client_msg_id goes again.
        this.later(() => this.sendPublish(id));
      } else if (p) {
        this.publishes.delete(id);
        p.reject(new WorkspaceRequestError(e.code, e.message, e.group_id));
      }
    } else if (req !== undefined && this.subscribeReqs.has(req)) {
      // A refusal (not_found, rate_limited…) ends the subscription; `unavailable` (the
      // database) changed nothing: it is asked again.
      const { groupId, sub } = this.subscribeReqs.get(req)!;
      this.subscribeReqs.delete(req);
      if (e.code === 'unavailable') {
        this.later(() => this.subs.get(groupId) === sub && this.sendSubscribe(groupId, sub));
      } else if (this.subs.get(groupId) === sub) {
        this.subs.delete(groupId);
        const err = new WorkspaceRequestError(e.code, e.message, e.group_id);
        for (const w of sub.waiters.splice(0)) w.reject(err);
      }
    } else if (req !== undefined) {
      this.requests.fail(req, e);
    }
    this.emit('error', e);
  }

  /**
   * Runs `fn` after a short jittered delay if this connection is still the open one (a new
   * connection resends everything pending anyway).
   */
  private later(fn: () => void) {
    const ws = this.ws;
    const delay = backoffDelay(1, this.opts.backoffBaseMs ?? 250, this.opts.backoffCapMs ?? 15_000);
    setTimeout(() => {
      if (this.ws === ws && this.isOpen()) fn();
    }, delay);
  }

  /** Answers `token.expiring` with an `auth` frame carrying a refreshed access token. */
  private async renewToken() {
    try {
      const token = await this.opts.tokens.refresh();
      if (this.isOpen()) await this.request({ type: 'auth', token });
    } catch (err) {
      // The server closes with 4001 at expiry; the reconnect then refreshes again.
      const message = err instanceof Error ? err.message : String(err);
      this.emit('error', { type: 'client', code: 'unauthorized', message });
    }
  }

  private remember(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > (this.opts.dedupeWindow ?? 5000))
      this.seen.delete(this.seenOrder.shift()!);
    return true;
  }
}
