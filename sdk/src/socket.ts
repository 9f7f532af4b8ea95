import { Emitter } from './emitter.js';
import { Reconnects, dial, failureText, unreachable } from './connect.js';
import type { TokenSource } from './session.js';
import type {
  BroadcastEvent,
  DmOpenedEvent,
  ErrorFrame,
  GroupAddedEvent,
  MessageEvent,
  ServerFrame,
  TaskEvent,
  TaskReminderEvent,
  PresenceEvent,
} from './types.js';

/** The subset of the WHATWG WebSocket the SDK uses (browsers' and `ws`'s both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What both sockets emit alike: the connection's drops and the live events of the server. */
export interface LiveEvents {
  state: SocketState;
  disconnected: { code: number; reason: string; willReconnect: boolean; retryInMs: number | null };
  /** A message of the group (of a subscribed group): at most once and in seq order. */
  message: MessageEvent;
  broadcast: BroadcastEvent;
  'task.created': TaskEvent;
  'task.updated': TaskEvent;
  'task.deleted': TaskEvent;
  'task.reminder': TaskReminderEvent;
  'presence.join': PresenceEvent;
  'presence.leave': PresenceEvent;
  /** A DM was opened with the user (or by them elsewhere): add it and subscribe. */
  'dm.opened': DmOpenedEvent;
  /** A group became joinable for the user: a new public group, or made a private one's member. */
  'group.added': GroupAddedEvent;
}

export interface SocketEvents extends LiveEvents {
  connected: { resumed: boolean; since_seq: number | null };
  /** After a reconnect: true when the server replayed everything missed, false on a gap. */
  recovered: { recovered: boolean; missed?: { from: number; to: number } };
  error: ErrorFrame | { type: 'client'; code: string; message: string };
}

/** What a group socket may opt in to beyond `message` and `broadcast` frames (`events=`). */
export type GroupSocketEvent = 'presence' | 'typing' | 'tasks' | 'changes' | 'all';

/**
 * The SDK's default: the events `GroupSocket` emits besides messages and broadcasts
 * (`presence.join` / `presence.leave`, `task.*` and `task.reminder`).
 */
export const DEFAULT_GROUP_EVENTS: readonly GroupSocketEvent[] = ['presence', 'tasks'];

export interface GroupSocketOptions {
  /** Read at every (re)connect, so a reconnect can go to another server. */
  baseUrl: string | (() => string);
  orgId: string;
  groupId: string;
  tokens: TokenSource;
  /** Default `globalThis.WebSocket`; pass `ws`'s WebSocket in Node 20. */
  WebSocket?: WebSocketCtor;
  clientId?: string;
  /** Resume point: the last seq the caller already holds. */
  sinceSeq?: number;
  /**
   * What the server sends beyond messages and broadcasts; default `DEFAULT_GROUP_EVENTS`
   * (presence and tasks). `[]` asks for messages and broadcasts only, as a seed client gets.
   */
  events?: readonly GroupSocketEvent[];
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** After a reconnect with no replayed message for this long, report `recovered: true`. */
  recoverWindowMs?: number;
  /** How many event ids to remember for de-duplication. */
  dedupeWindow?: number;
}

interface Pending {
  content: string;
  resolve: (m: MessageEvent) => void;
  reject: (e: Error) => void;
}

/**
 * One group's socket. Guarantees: resumes from the last seq seen (so a reconnect, even to a
 * different server, loses nothing within retention); delivers each event id at most once;
 * a `send()` is re-sent with the same client_msg_id after a reconnect until its echo arrives
 * (the server de-duplicates it), so a message is never lost nor stored twice.
 */
export class GroupSocket extends Emitter<SocketEvents> {
  private ws: WebSocketLike | undefined;
  private _state: SocketState = 'idle';
  private lastSeq: number | null;
  private readonly reconnects: Reconnects;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private recoverTimer: ReturnType<typeof setTimeout> | undefined;
  private awaitingRecovery = false;
  private forceRefresh = false;
  private seen = new Set<string>();
  private seenOrder: string[] = [];
  private pending = new Map<string, Pending>();
  private counter = 0;
  private readonly prefix = Math.random().toString(36).slice(2, 10);

  constructor(private readonly opts: GroupSocketOptions) {
    super();
    this.lastSeq = opts.sinceSeq ?? null;
    this.reconnects = new Reconnects(opts.backoffBaseMs, opts.backoffCapMs);
  }

  get state(): SocketState {
    return this._state;
  }
  /** The highest message seq delivered so far (the resume point). */
  get seq(): number | null {
    return this.lastSeq;
  }

  connect(): this {
    if (this._state === 'idle' || this._state === 'closed') {
      this.reconnects.reset();
      void this.open('connecting');
    }
    return this;
  }

  /** Closes for good; pending sends reject. */
  close(): void {
    this.clearTimers();
    this.setState('closed');
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onclose = null;
      ws.close(1000, 'client closed');
    }
    for (const p of this.pending.values()) p.reject(new Error('socket closed'));
    this.pending.clear();
  }

  /** Sends a message; resolves with the stored message when its echo arrives. */
  send(content: string, clientMsgId = `${this.prefix}-${++this.counter}`): Promise<MessageEvent> {
    if (this._state === 'closed') return Promise.reject(new Error('socket closed'));
    return new Promise((resolve, reject) => {
      this.pending.set(clientMsgId, { content, resolve, reject });
      this.transmit(clientMsgId, content);
    });
  }

  private transmit(id: string, content: string) {
    if (this._state === 'open' && this.ws)
      this.ws.send(JSON.stringify({ content, client_msg_id: id }));
  }

  private setState(s: SocketState) {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
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
      // Only the server refusing the session is final; a refresh that could not reach it
      // (the server is restarting) is retried like any other failed connection.
      if (unreachable(err)) {
        if (this._state === 'closed') return;
        this.setState('reconnecting');
        this.timer = setTimeout(() => void this.open('reconnecting'), this.reconnects.nextDelay());
        return;
      }
      this.emit('error', { type: 'client', code: 'unauthorized', message: String(err) });
      this.close();
      return;
    }
    if (this._state === 'closed') return;
    const { orgId, groupId, clientId } = this.opts;
    const events = this.opts.events ?? DEFAULT_GROUP_EVENTS;
    const ws = dial(
      this.opts,
      `/ws/orgs/${encodeURIComponent(orgId)}/groups/${encodeURIComponent(groupId)}`,
      {
        access_token: token,
        ...(this.lastSeq !== null && { since_seq: String(this.lastSeq) }),
        ...(clientId && { clientId }),
        ...(events.length > 0 && { events: events.join(',') }),
      },
    );
    const resumed = this.lastSeq !== null;
    this.ws = ws;
    let opened = false;
    let failure = '';
    ws.onopen = () => {
      opened = true;
      this.reconnects.opened();
      this.setState('open');
      this.emit('connected', { resumed, since_seq: this.lastSeq });
      if (state === 'reconnecting') this.startRecoveryWatch();
      for (const [id, p] of this.pending) this.transmit(id, p.content);
    };
    ws.onerror = (ev) => {
      failure = failureText(ev);
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      const verdict = this.reconnects.closed(ev.code, failure, opened);
      if (verdict.refresh) this.forceRefresh = true;
      const retryIn = verdict.retryInMs;
      this.emit('disconnected', {
        code: ev.code,
        reason: ev.reason,
        willReconnect: retryIn !== null,
        retryInMs: retryIn,
      });
      if (retryIn === null) {
        this.emit('error', {
          type: 'client',
          code: verdict.final ?? 'refused',
          message: ev.reason || failure || `closed with ${ev.code}`,
        });
        this.close();
        return;
      }
      this.setState('reconnecting');
      this.timer = setTimeout(() => void this.open('reconnecting'), retryIn);
    };
  }

  private startRecoveryWatch() {
    this.awaitingRecovery = true;
    this.recoverTimer = setTimeout(
      () => this.settleRecovery(true),
      this.opts.recoverWindowMs ?? 500,
    );
  }

  private settleRecovery(ok: boolean, missed?: { from: number; to: number }) {
    if (!this.awaitingRecovery) return;
    this.awaitingRecovery = false;
    clearTimeout(this.recoverTimer);
    this.emit('recovered', missed ? { recovered: ok, missed } : { recovered: ok });
  }

  private onFrame(data: unknown) {
    let f: ServerFrame;
    try {
      f = JSON.parse(typeof data === 'string' ? data : String(data)) as ServerFrame;
    } catch {
      return;
    }
    if (f.type === 'pong') return;
    if (f.type === 'error') {
      const p = f.client_msg_id ? this.pending.get(f.client_msg_id) : undefined;
      if (p && f.client_msg_id) {
        this.pending.delete(f.client_msg_id);
        p.reject(Object.assign(new Error(f.message), { code: f.code }));
      }
      this.emit('error', f);
      return;
    }
    if ('id' in f && !this.remember(f.id)) {
      // A duplicate still settles a pending send (the server re-echoes a re-sent id).
      if (f.type === 'message') this.settleSend(f);
      return;
    }
    if (f.type === 'message') {
      if (this.lastSeq !== null && f.seq <= this.lastSeq) return this.settleSend(f);
      if (this.awaitingRecovery && this.lastSeq !== null) {
        const gap = f.seq > this.lastSeq + 1;
        this.settleRecovery(!gap, gap ? { from: this.lastSeq + 1, to: f.seq - 1 } : undefined);
      }
      this.lastSeq = f.seq;
      this.emit('message', f);
      this.settleSend(f);
      return;
    }
    this.emit(f.type, f as never);
  }

  private settleSend(m: MessageEvent) {
    const p = m.client_msg_id ? this.pending.get(m.client_msg_id) : undefined;
    if (p && m.client_msg_id) {
      this.pending.delete(m.client_msg_id);
      p.resolve(m);
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

  private clearTimers() {
    clearTimeout(this.timer);
    clearTimeout(this.recoverTimer);
    this.awaitingRecovery = false;
  }
}
