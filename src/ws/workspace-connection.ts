import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { isDatabaseUnavailable } from '../db/database.js';
import { AppError } from '../errors.js';
import type { WorkspaceClientFrame } from '../protocol/workspace.js';
import type { Frame, Subscriber } from '../realtime/hub.js';
import { DM_COPY_TYPE } from '../modules/dms/dms.copies.js';
import { Lane, type LaneOwner } from './workspace-lane.js';
import {
  MAX_SUBSCRIPTIONS,
  MESSAGE_HEAD,
  TYPING_HEAD,
  clientError,
  errorText,
  parseWorkspaceFrame,
} from './workspace-frames.js';
import { SessionClock } from './workspace-session.js';
import type { WorkspaceDeps, WorkspaceUser } from './workspace-deps.js';
import { CLOSE_FLOOD, FrameLimiter } from './frame-limiter.js';
import { TypingState } from './workspace-typing.js';
import { corkForThisTurn, rawSocket, textFrame } from './wire.js';

type Of<T extends WorkspaceClientFrame['type']> = Extract<WorkspaceClientFrame, { type: T }>;

/** The `id` of an event frame ('' when it has none). */
function eventId(frame: Frame): string {
  try {
    const id = (JSON.parse(frame.text) as { id?: unknown }).id;
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}

/**
 * One workspace socket (`GET /ws`): all of a user's groups and DMs over one connection.
 * Each subscribed group is a `Lane` (the group socket's own catch-up logic); org and user
 * channel events arrive once per socket. Frames are handled one at a time, in order, so
 * replies come in the order of requests and a client's messages are stored in its order.
 */
export class WorkspaceConnection implements LaneOwner, Subscriber {
  readonly lanes = new Map<string, Lane>();
  /** Message ids this socket published and has not seen in its stream yet → the req. */
  private readonly pending = new Map<string, string>();
  /** Ids of `read` events this socket caused (its own reply already told it). */
  private readonly ownReads = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private readonly limiter: FrameLimiter;
  private closed = false;
  private readonly raw;
  readonly typing: TypingState;
  readonly session: SessionClock;
  lastPingAt = 0;
  awaitingPong = false;
  closeCode: number | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly id: string,
    public user: WorkspaceUser,
    private readonly deps: WorkspaceDeps,
  ) {
    this.raw = rawSocket(ws);
    this.limiter = new FrameLimiter(deps.config.wsRateLimit);
    this.typing = new TypingState(this, deps.hub);
    this.session = new SessionClock(this, deps);
  }

  start(): void {
    for (const c of this.user.channels()) this.deps.hub.join(c, this);
    this.session.arm();
  }

  /** Org and user channel frames (the hub calls it). */
  deliver(frame: Frame): number {
    if (this.closed) return 0;
    // Routed by the type beside the frame; only these rare events are read for their id.
    // DM messages come on the DM's own subscription; their copies are for `/ws/dm` sockets.
    if (frame.type === DM_COPY_TYPE) return 0;
    if (frame.type === 'read' && this.ownReads.size && this.ownReads.delete(eventId(frame)))
      return 0;
    if (frame.type === 'access.revoked') void this.session.onAccessEvent(frame.text);
    return this.write(frame.wire ?? (frame.wire = textFrame(frame.data)), frame.data.length);
  }

  laneSend(groupId: string, data: Buffer | string, sent?: () => void): void {
    let text = typeof data === 'string' ? data : undefined;
    const head = text ?? (data as Buffer).toString('latin1', 0, 96);
    if (head.startsWith(TYPING_HEAD)) {
      // Typing is the first thing dropped when this socket falls behind; and never echoed.
      if (
        this.ws.bufferedAmount > this.deps.config.wsMaxBacklogBytes / 2 ||
        head.includes(`"user_id":"${this.user.id}"`)
      ) {
        sent?.();
        return;
      }
    } else if (this.pending.size && head.startsWith(MESSAGE_HEAD)) {
      const id = head.slice(MESSAGE_HEAD.length, MESSAGE_HEAD.length + 36);
      const req = this.pending.get(id);
      if (req !== undefined) {
        this.pending.delete(id);
        text ??= (data as Buffer).toString('utf8');
        data = `{"req":${JSON.stringify(req)},${text.slice(1)}`;
      }
    }
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.write(textFrame(bytes), bytes.length, sent);
    void groupId;
  }

  laneClosed(groupId: string, code: number, reason: string): void {
    if (code === 1013) return this.closeWith(1013, reason); // the whole socket is behind
    this.dropLane(groupId, code === 1008 ? 'gone' : 'failed', reason);
  }

  /** Writes one whole WebSocket frame; cuts the socket off past the backlog bound. */
  private write(wire: Buffer, size: number, sent?: () => void): number {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) {
      sent?.();
      return 0;
    }
    if (this.raw) {
      corkForThisTurn(this.raw);
      this.raw.write(wire, sent);
    } else {
      this.ws.send(wire.subarray(wire.length - size), sent);
    }
    if (this.ws.bufferedAmount > this.deps.config.wsMaxBacklogBytes) {
      this.deps.metrics.wsBacklogCloses.inc();
      this.closeWith(1013, 'too far behind, reconnect and resubscribe with since_seq');
      setTimeout(() => this.ws.terminate(), 5000).unref();
    }
    return size;
  }

  send(value: object): void {
    const data = Buffer.from(JSON.stringify(value));
    this.write(textFrame(data), data.length);
  }

  error(
    req: string | null,
    code: Parameters<typeof errorText>[1],
    message: string,
    groupId?: string,
  ) {
    const data = Buffer.from(errorText(req, code, message, groupId));
    this.write(textFrame(data), data.length);
  }

  closeWith(code: number, reason: string): void {
    this.closeCode ??= code;
    this.detach();
    this.ws.close(code, reason);
  }

  /** Leaves every channel and group; called on close. Idempotent. */
  detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.disarm();
    this.typing.clear();
    for (const c of this.user.channels()) this.deps.hub.leave(c, this);
    for (const g of [...this.lanes.keys()]) this.dropLane(g, null, '');
  }

  /** Ends a subscription; tells the client why unless it asked (reason null). */
  dropLane(groupId: string, reason: string | null, message: string): void {
    const lane = this.lanes.get(groupId);
    if (!lane) return;
    this.lanes.delete(groupId);
    lane.stop();
    this.typing.stop(groupId);
    this.deps.presence?.disconnected(lane.presenceOf(this.user));
    if (reason !== null)
      this.send({ type: 'unsubscribed', req: null, group_id: groupId, reason, message });
  }

  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const parsed = parseWorkspaceFrame(data, isBinary);
    // Every frame kind takes from the socket's one bucket (pings from their own): a flood of
    // subscribes or history reads never reaches the database nor delays other users.
    const kind = parsed.ok && parsed.frame.type === 'ping' ? 'ping' : 'frame';
    const verdict = this.limiter.take(kind);
    if (verdict === 'flood') return this.closeWith(CLOSE_FLOOD, 'sending far over the rate limit');
    if (verdict === 'limited') {
      this.deps.metrics.messagesRejected.inc({ code: 'rate_limited' });
      const req = parsed.ok ? parsed.frame.req : parsed.error.req;
      const groupId = parsed.ok && 'group_id' in parsed.frame ? parsed.frame.group_id : undefined;
      return this.error(req, 'rate_limited', 'sending too fast, slow down', groupId);
    }
    if (!parsed.ok) {
      const e = parsed.error;
      return this.error(e.req, e.code, e.message);
    }
    const f = parsed.frame;
    if (f.type === 'ping') return this.send({ type: 'pong', req: f.req });
    if (f.type === 'typing') return void this.typing.onTyping(f.req, f.group_id);
    if (f.type === 'publish') {
      const bad = this.deps.messages.checkContent(f.content);
      if (bad)
        return this.error(
          f.req,
          bad.code === 'payload_too_large' ? 'payload_too_large' : 'bad_request',
          bad.message,
          f.group_id,
        );
    }
    this.chain = this.chain.then(() => this.handle(f).catch((err) => this.failed(f, err)));
  }

  private failed(f: WorkspaceClientFrame, err: unknown) {
    const e = clientError(err);
    if (e.code === 'unavailable' && !isDatabaseUnavailable(err))
      this.deps.log.error({ err, frame: f.type }, 'workspace frame failed');
    this.error(f.req, e.code, e.message, 'group_id' in f ? f.group_id : undefined);
  }

  private async handle(f: WorkspaceClientFrame): Promise<void> {
    if (this.closed) return;
    switch (f.type) {
      case 'subscribe':
        return this.subscribe(f);
      case 'unsubscribe':
        this.dropLane(f.group_id, null, '');
        return this.send({ type: 'unsubscribed', req: f.req, group_id: f.group_id });
      case 'publish':
        return this.publish(f);
      case 'history': {
        const messages = await this.deps.messages.newest(
          this.user.principal(),
          this.user.orgId,
          f.group_id,
          {
            ...(f.limit !== undefined && { limit: f.limit }),
            ...(f.before_seq !== undefined && { before_seq: f.before_seq }),
          },
        );
        return this.send({ type: 'history', req: f.req, group_id: f.group_id, messages });
      }
      case 'read': {
        // The reply tells this socket; the event is for the user's other sockets.
        const eventId = randomUUID();
        this.ownReads.add(eventId);
        const r = await this.deps.reads
          .markRead(this.user.principal(), this.user.orgId, f.group_id, f.seq, eventId)
          .finally(() => this.ownReads.delete(eventId));
        const { eventId: _, ...cursor } = r;
        return this.send({ type: 'read', req: f.req, ...cursor, seq: r.last_read_seq });
      }
      case 'presence': {
        const online = await this.deps.onlineUsers.inGroup(
          this.user.principal(),
          this.user.orgId,
          f.group_id,
        );
        const users = online.map((u) => ({ user_id: u.userId, username: u.username }));
        return this.send({ type: 'presence', req: f.req, group_id: f.group_id, users });
      }
      case 'auth':
        return this.session.reauthenticate(f.req, f.token);
    }
  }

  private async subscribe(f: Of<'subscribe'>) {
    const { orgId } = this.user;
    if (this.lanes.size >= MAX_SUBSCRIPTIONS && !this.lanes.has(f.group_id)) {
      return this.error(
        f.req,
        'rate_limited',
        `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket`,
        f.group_id,
      );
    }
    const access = await this.deps.groups.access(this.user.principal(), orgId, f.group_id);
    const { group } = access;
    const { messages } = this.deps;
    this.dropLane(f.group_id, null, '');
    const last = (await messages.lastSeq(access)) ?? 0;
    let recovered = true;
    const since = f.since_seq;
    if (since !== undefined && since < last) {
      const [first] = await messages.replayPage(access, since, 1);
      recovered = first !== undefined && first.seq === since + 1;
    }
    if (this.closed) return;
    const lane = new Lane(
      this,
      orgId,
      f.group_id,
      group.kind,
      group.private,
      access,
      { userId: this.user.id, username: this.user.username, clientId: null },
      since,
      this.deps,
    );
    this.lanes.set(f.group_id, lane);
    this.send({ type: 'subscribed', req: f.req, group_id: f.group_id, last_seq: last, recovered });
    this.deps.presence?.connected(lane.presenceOf(this.user));
    void lane.start();
  }

  private async publish(f: Of<'publish'>) {
    const { orgId } = this.user;
    const lane = this.lanes.get(f.group_id);
    // A subscription already proved access (and is dropped when access is lost).
    const access =
      lane?.access ?? (await this.deps.groups.access(this.user.principal(), orgId, f.group_id));
    // The id is chosen here so the lane recognises this message in its stream and puts the
    // reply (the event with `req`) in its seq position: never ahead of earlier seqs, never twice.
    const id = randomUUID();
    if (lane) this.pending.set(id, f.req);
    let created = false;
    try {
      const input = { content: f.content, clientMsgId: f.client_msg_id ?? null, id };
      const stored = await this.deps.messages.store(access, input, 'ws');
      if (!stored) throw new AppError('not_found', 'group not found');
      created = stored.created;
      const original = stored.message;
      // Sending the message ends the sender's typing indicator (after the message itself).
      if (created) this.typing.stop(f.group_id);
      // Not subscribed: reply directly. Unsubscribed meanwhile and not yet seen in the
      // stream: reply directly too.
      if (!lane || (this.lanes.get(f.group_id) !== lane && this.pending.delete(id))) {
        this.send({ req: f.req, ...original });
      } else if (!created) {
        // A repeated client_msg_id: the original is the reply, in its seq position as well.
        // A stream still replaying towards it carries it later; one past it already did.
        await lane.conn.whenPositioned();
        if (
          this.lanes.get(f.group_id) !== lane ||
          lane.conn.deliveredSeq >= original.seq ||
          this.pending.has(original.id)
        ) {
          this.send({ req: f.req, ...original });
        } else {
          this.pending.set(original.id, f.req);
        }
      }
    } finally {
      if (!created) this.pending.delete(id);
    }
  }
}
