import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { GroupAccess } from '../modules/groups/groups.service.js';
import type { Author } from '../modules/messages/messages.service.js';
import { channels } from '../realtime/channels.js';
import { Connection } from './connection.js';
import type { WorkspaceDeps } from './workspace-deps.js';

/** What a lane needs from the workspace socket that carries it. */
export interface LaneOwner {
  /** The real socket: its backlog is shared by every lane. */
  readonly ws: WebSocket;
  /** A frame of this lane, in the lane's order (replay, then live). */
  laneSend(groupId: string, data: Buffer | string, sent?: () => void): void;
  /** The lane's group socket logic gave up (backlog 1013, replay failure 1011, group gone). */
  laneClosed(groupId: string, code: number, reason: string): void;
}

/**
 * The part of a `ws` WebSocket that the group socket's `Connection` uses, pointed at one group
 * of a workspace socket. With it the workspace socket reuses the group socket's subscription,
 * replay-then-live catch-up (every seq once, in order, no gap), backlog bound and gap handling
 * as they are, once per subscribed group, instead of a second copy of that logic.
 */
class LaneSocket {
  readonly OPEN = 1;
  readonly CLOSED = 3;
  readyState = 1;
  constructor(
    private readonly owner: LaneOwner,
    private readonly groupId: string,
  ) {}

  get bufferedAmount(): number {
    return this.owner.ws.bufferedAmount;
  }

  send(data: Buffer | string, _opts?: unknown, sent?: () => void): void {
    if (this.readyState !== 1) {
      sent?.();
      return;
    }
    this.owner.laneSend(this.groupId, data, sent);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.owner.laneClosed(this.groupId, code, reason);
  }

  terminate(): void {
    this.owner.ws.terminate();
  }
}

/** One subscribed group (or DM) of a workspace socket. */
export class Lane {
  /** The presence connection id of this subscription (one per socket and group). */
  readonly presenceId = randomUUID();
  private readonly socket: LaneSocket;
  readonly conn: Connection;

  constructor(
    owner: LaneOwner,
    readonly orgId: string,
    readonly groupId: string,
    readonly kind: 'group' | 'dm',
    readonly isPrivate: boolean,
    readonly access: GroupAccess,
    author: Author,
    sinceSeq: number | undefined,
    deps: WorkspaceDeps,
  ) {
    this.socket = new LaneSocket(owner, groupId);
    this.conn = new Connection(
      this.socket as unknown as WebSocket,
      {
        id: this.presenceId,
        orgId,
        groupId,
        access,
        groupChannel: channels.group(orgId, groupId),
        // Org and user channels are joined once by the workspace socket, not per group.
        otherChannels: [],
        author,
        sinceSeq,
      },
      {
        hub: deps.hub,
        messages: deps.messages,
        metrics: deps.metrics,
        log: deps.log,
        rateLimit: deps.config.wsRateLimit,
        maxBacklogBytes: deps.config.wsMaxBacklogBytes,
      },
    );
  }

  /** This subscription as presence sees it: the user in the group, one connection. */
  presenceOf(user: { id: string; username: string }) {
    const { presenceId: connId, orgId, groupId } = this;
    return { connId, orgId, groupId, userId: user.id, username: user.username };
  }

  /** Replays what the client missed after `sinceSeq`, then goes live. */
  start(): Promise<void> {
    return this.conn.start();
  }

  /** Leaves the group channel; nothing more is sent for this group. Idempotent. */
  stop(): void {
    this.socket.readyState = 3;
    this.conn.detach();
  }
}
