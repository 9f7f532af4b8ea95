import type { TokenSource } from './session.js';
import type { LiveEvents, SocketState, WebSocketCtor } from './socket.js';
import type {
  AccessRevokedEvent,
  ReadEvent,
  TokenExpiringEvent,
  TypingEvent,
  UnsubscribedEvent,
  WorkspaceError,
} from './types.js';

/** `idle` → `connecting` → `open` ⇄ `reconnecting` → `closed` (only `close()` or a final refusal). */
export type WorkspaceState = SocketState;

/** A failure the client itself noticed (not a server `error` frame). */
export interface ClientError {
  type: 'client';
  code: 'unauthorized' | 'refused' | 'session_ended' | 'timeout';
  message: string;
}

/** Every event a `WorkspaceSocket` emits, with its payload. */
export interface WorkspaceEvents extends LiveEvents {
  /** The socket is open; `reconnect` is true from the second connection on. */
  connected: { reconnect: boolean };
  /**
   * After a reconnect, once per remembered group when the server answered its resubscribe:
   * false when messages after the last delivered seq are no longer stored (a gap).
   */
  recovered: { group_id: string; recovered: boolean };
  typing: TypingEvent;
  /** The user's read cursor moved on another of their devices. */
  read: ReadEvent;
  /** The server ended a subscription (`removed`, `gone`, `failed`); it is forgotten. */
  unsubscribed: UnsubscribedEvent;
  'token.expiring': TokenExpiringEvent;
  'access.revoked': AccessRevokedEvent;
  error: WorkspaceError | ClientError;
}

export interface WorkspaceSocketOptions {
  /** Read at every (re)connect, so a reconnect can go to another server. */
  baseUrl: string | (() => string);
  tokens: TokenSource;
  /** Default `globalThis.WebSocket`; pass `ws`'s WebSocket in Node 20. */
  WebSocket?: WebSocketCtor;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** At most one `typing` frame per group in this window (the server's, 1000 ms). */
  typingIntervalMs?: number;
  /**
   * Send a `ping` frame after this long without hearing from the server, and reconnect when
   * no pong comes within `pingTimeoutMs` (browsers cannot see protocol pings). 0 disables.
   */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** How many event ids (broadcast, task.*, presence.*, read) to remember for de-duplication. */
  dedupeWindow?: number;
}

/** What `subscribe()` resolves with: the group's newest seq and whether the resume was whole. */
export interface SubscribeResult {
  last_seq: number;
  recovered: boolean;
}
