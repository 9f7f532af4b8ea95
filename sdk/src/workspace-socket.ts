import { Emitter, backoffDelay } from './emitter.js';
import { RecentIds } from './recent-ids.js';
import type { WebSocketLike } from './socket.js';
import type {
  HistoryReply,
  MessageEvent,
  PresenceReply,
  PresentUser,
  ReadReply,
  WorkspaceServerFrame,
} from './types.js';
import type {
  SubscribeResult,
  WorkspaceEvents,
  WorkspaceSocketOptions,
  WorkspaceState,
} from './workspace-events.js';
import { Reconnects, abandon, dial, failureText, unreachable } from './connect.js';
import { Liveness } from './workspace-liveness.js';
import { Outbox } from './workspace-outbox.js';
import { RequestTable, socketClosed } from './workspace-requests.js';
import { Subscriptions } from './workspace-subscriptions.js';
import { TypingThrottle } from './workspace-typing.js';

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
  private readonly reconnects: Reconnects;
  private connections = 0;
  private forceRefresh = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private openWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly subs = new Subscriptions();
  private readonly outbox = new Outbox();
  private readonly requests = new RequestTable();
  private readonly liveness: Liveness;
  private readonly seen: RecentIds;
  private readonly typingThrottle: TypingThrottle;
  private counter = 0;
  private readonly prefix = Math.random().toString(36).slice(2, 10);

  constructor(private readonly opts: WorkspaceSocketOptions) {
    super();
    this.liveness = new Liveness(opts.pingIntervalMs ?? 30_000);
    this.reconnects = new Reconnects(opts.backoffBaseMs, opts.backoffCapMs);
    this.typingThrottle = new TypingThrottle(opts.typingIntervalMs);
    this.seen = new RecentIds(opts.dedupeWindow);
  }

  get state(): WorkspaceState {
    return this._state;
  }

  /** The groups this socket keeps subscribed, with the last seq delivered of each. */
  get subscriptions(): ReadonlyMap<string, number | null> {
    return this.subs.snapshot();
  }

  /** Resolves once the socket is open (at once if it is); rejects if it is closed first. */
  ready(): Promise<void> {
    if (this.isOpen()) return Promise.resolve();
    if (this._state === 'closed') return Promise.reject(socketClosed());
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  connect(): this {
    if (this._state === 'idle' || this._state === 'closed') {
      this.reconnects.reset();
      void this.open('connecting');
    }
    return this;
  }

  /** Closes for good: pending publishes, subscribes and requests reject. */
  close(): void {
    clearTimeout(this.timer);
    this.liveness.stop();
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
    this.outbox.close(err);
    this.subs.close(err);
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
    const answered = this.subs.add(groupId, opts.sinceSeq);
    if (this.isOpen()) this.transmit(this.subs.frame(groupId, this.nextReq()));
    return answered;
  }

  /** Forgets a group; nothing more of it is delivered. */
  async unsubscribe(groupId: string): Promise<void> {
    if (!this.subs.remove(groupId, new Error('unsubscribed'))) return;
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
    // The server ends the typing indicator with the message: typing again is news at once.
    this.typingThrottle.reset(groupId);
    const stored = this.outbox.add(clientMsgId, groupId, content);
    if (this.isOpen()) this.transmit(this.outbox.frame(clientMsgId, this.nextReq()));
    return stored;
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
    if (!this.isOpen() || !this.subs.has(groupId) || !this.typingThrottle.take(groupId)) return;
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
      if (unreachable(err)) {
        this.retryIn(this.reconnects.nextDelay());
        return;
      }
      this.emit('error', { type: 'client', code: 'unauthorized', message: String(err) });
      this.close();
      return;
    }
    if (this._state === 'closed') return;
    const ws = dial(this.opts, '/ws', { access_token: token });
    this.ws = ws;
    let opened = false;
    let failure = '';
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.reconnects.opened();
      const reconnect = this.connections++ > 0;
      this.setState('open');
      this.liveness.start(
        () => this.request({ type: 'ping' }, this.opts.pingTimeoutMs ?? 10_000),
        () => abandon(ws, 4000, 'no pong'),
      );
      // Subscriptions first: the server handles frames in order, so a re-sent publish is
      // answered in its group's stream after the replay.
      for (const f of this.subs.resume(() => this.nextReq())) this.transmit(f);
      for (const id of this.outbox.ids()) this.transmit(this.outbox.frame(id, this.nextReq()));
      for (const w of this.openWaiters.splice(0)) w.resolve();
      this.emit('connected', { reconnect });
    };
    ws.onerror = (ev) => {
      failure = failureText(ev);
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.onFrame(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.liveness.stop();
      this.dropConnection();
      const verdict = this.reconnects.closed(ev.code, failure, opened);
      if (verdict.refresh) this.forceRefresh = true;
      this.emit('disconnected', {
        code: ev.code,
        reason: ev.reason,
        willReconnect: verdict.retryInMs !== null,
        retryInMs: verdict.retryInMs,
      });
      if (verdict.retryInMs === null) {
        this.emit('error', {
          type: 'client',
          code: verdict.final ?? 'refused',
          message: ev.reason || failure || `closed with ${ev.code}`,
        });
        this.close();
        return;
      }
      this.retryIn(verdict.retryInMs);
    };
  }

  /** The connection is gone: requests made on it fail; publishes and subscriptions wait. */
  private dropConnection() {
    this.requests.rejectAll(new Error('disconnected'));
    this.outbox.dropConnection();
    this.subs.dropConnection();
    this.typingThrottle.clear();
  }

  // --- frames out ---

  private nextReq(): string {
    return `${this.prefix}.${++this.counter}`;
  }

  private transmit(frame: object | undefined) {
    if (frame) this.ws?.send(JSON.stringify(frame));
  }

  /** Sent once the socket is open; rejects if its connection drops before the reply. */
  private async request<T>(frame: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (!this.isOpen()) await this.ready();
    const req = this.nextReq();
    const p = this.requests.add<T>(req, timeoutMs);
    this.transmit({ ...frame, req });
    return p;
  }

  // --- frames in ---

  private onFrame(data: unknown) {
    let f: WorkspaceServerFrame;
    try {
      f = JSON.parse(typeof data === 'string' ? data : String(data)) as WorkspaceServerFrame;
    } catch {
      return;
    }
    this.liveness.heard();
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
        this.subs.remove(f.group_id, new Error(`unsubscribed by the server: ${f.reason}`));
        return this.emit('unsubscribed', f);
      case 'read':
        if ('req' in f) return void this.requests.settle(f.req, f);
        if (this.seen.add(f.id)) this.emit('read', f);
        return;
      case 'subscribed': {
        // Handled as the frame arrives, not a promise turn later: the replay may come in the
        // same network read, and must find the resume point set and follow `recovered`.
        const recovered = this.subs.answered(f);
        if (recovered) this.emit('recovered', recovered);
        return;
      }
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
        // broadcast, task.*, presence.*, dm.opened, group.added: deduplicated by id.
        if (this.seen.add(f.id)) this.emit(f.type, f as never);
    }
  }

  private onMessage(m: MessageEvent & { req?: string }, req: string | undefined) {
    const { req: _, ...message } = m;
    if (this.subs.accept(message, req !== undefined)) this.emit('message', message);
    if (req !== undefined) this.outbox.stored(req, message);
  }

  private onError(e: Extract<WorkspaceServerFrame, { type: 'error' }>, req: string | undefined) {
    if (req !== undefined) {
      // `unavailable` or `rate_limited`: nothing happened; the same frame goes again (the
      // publish rate refills within a second).
      const publish = this.outbox.failed(req, e);
      const subscribe = publish ? undefined : this.subs.refused(req, e);
      const { retry: id } = publish ?? {};
      const { retry: group } = subscribe ?? {};
      const wait = e.code === 'rate_limited' ? 1000 : undefined;
      if (id !== undefined)
        this.later(() => this.transmit(this.outbox.frame(id, this.nextReq())), wait);
      if (group !== undefined)
        this.later(() => this.transmit(this.subs.frame(group, this.nextReq())));
      if (!publish && !subscribe) this.requests.fail(req, e);
    }
    this.emit('error', e);
  }

  /**
   * Runs `fn` after a short jittered delay if this connection is still the open one (a new
   * connection resends everything pending anyway).
   */
  private later(fn: () => void, atLeastMs = 0) {
    const ws = this.ws;
    const jitter = backoffDelay(
      1,
      this.opts.backoffBaseMs ?? 250,
      this.opts.backoffCapMs ?? 15_000,
    );
    setTimeout(() => {
      if (this.ws === ws && this.isOpen()) fn();
    }, atLeastMs + jitter);
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
}
