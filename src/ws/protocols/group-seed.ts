import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../errors.js';
import type { Principal } from '../../modules/auth/principal.js';
import type { GroupAccess, GroupService } from '../../modules/groups/groups.service.js';
import type { MessageService } from '../../modules/messages/messages.service.js';
import type { Metrics } from '../../modules/ops/metrics.js';
import type { ErrorFrame } from '../../protocol/messages.js';
import type { AccessRevokedEvent } from '../../protocol/workspace-events.js';
import { enforce } from '../../modules/auth/policy.js';
import { canGroupMessages } from '../../modules/messages/messages.policy.js';
import { channels } from '../../realtime/channels.js';
import { logUnexpected, NOT_STORED } from '../engine/parse.js';
import { textOf, type Frame } from '../engine/out-frame.js';
import type { Admission, OpenSocket, SocketRoute } from '../engine/server.js';
import { Session, type ProtocolHandler, type SessionDeps } from '../engine/session.js';
import type { Sink, SocketSink } from '../engine/sink.js';
import { GroupStream, type StreamDeps } from '../engine/stream.js';
import { clientIdOf, decode, UpgradeRefused } from '../engine/upgrade.js';
import { parseEvents, type GroupSocketFilter } from './group-events.js';
import { errorFrame, parseSeedFrame, PONG } from './group-seed-frames.js';
import { seedBroadcast } from './seed-broadcast.js';

export interface GroupSeedDeps {
  groups: GroupService;
  messages: MessageService;
  metrics: Metrics;
  log: FastifyBaseLogger;
  session: SessionDeps;
  stream: StreamDeps;
}

const PATH = /^\/ws\/orgs\/([^/]+)\/groups\/([^/]+)\/?$/;
const LOST_ACCESS = 1008;

/**
 * What the seed's group socket sends, of its group's stream and its org and user channels:
 * the types its `events=` opted in to, and org broadcasts in the seed's shape (with this
 * socket's `group_id`). Closes go to the session.
 */
class SeedSink implements Sink {
  constructor(
    private readonly out: SocketSink,
    private readonly session: Session,
    private readonly events: GroupSocketFilter,
    private readonly groupId: string,
  ) {}

  get bufferedAmount(): number {
    return this.out.bufferedAmount;
  }

  send(frame: Frame, sent?: () => void): number {
    if (!this.events.wants(frame.type)) {
      sent?.();
      return 0;
    }
    return this.out.send(
      frame.type === 'broadcast' ? seedBroadcast(frame, this.groupId) : frame,
      sent,
    );
  }

  close(code: number, reason: string): void {
    if (code === 1013) this.out.overflow(reason);
    else this.session.close(code, reason);
  }
}

/**
 * The seed's group socket over the engine: a session with one fixed subscription (its group),
 * the seed's frame shapes (`{content, client_msg_id?}` in; messages, broadcasts and the
 * `events=` opt-ins out). Frames from one client are stored one at a time, in its order.
 */
class GroupSeedProtocol implements ProtocolHandler {
  constructor(
    private readonly session: Session,
    private readonly stream: GroupStream,
    private readonly sink: SeedSink,
    private readonly clientId: string | null,
    private readonly deps: GroupSeedDeps,
  ) {}

  start(): Promise<void> {
    return this.stream.start();
  }

  onChannelFrame(frame: Frame): number {
    return this.sink.send(frame);
  }

  async onAccessChanged(e: AccessRevokedEvent): Promise<void> {
    const { stream, session } = this;
    if (e.reason === 'removed') {
      if (e.group_id === stream.groupId)
        session.close(LOST_ACCESS, 'no longer a member of this group');
      return;
    }
    // A demoted admin keeps a private group only as a member of it.
    try {
      await this.deps.groups.access(session.principal, stream.orgId, stream.groupId);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      session.close(LOST_ACCESS, 'no longer allowed on this group');
    }
  }

  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const cmd = parseSeedFrame(data, isBinary);
    // Every frame kind takes from the socket's one bucket (pings from their own), malformed
    // ones included: each is answered, and answers are not free.
    const verdict = this.session.take(cmd.kind === 'ping' ? 'ping' : 'frame');
    if (verdict === 'flood') return;
    if (verdict === 'limited') {
      const id = cmd.kind === 'ping' ? null : cmd.clientMsgId;
      return this.session.send(errorFrame('rate_limited', 'sending too fast, slow down', id));
    }
    if (cmd.kind === 'ping') return this.session.send(PONG);
    if (cmd.kind === 'invalid') return this.reject('bad_request', cmd.message, cmd.clientMsgId);
    const bad = this.deps.messages.checkContent(cmd.content);
    if (bad) {
      return this.reject(
        bad.code === 'payload_too_large' ? 'payload_too_large' : 'bad_request',
        bad.message,
        cmd.clientMsgId,
      );
    }
    this.session.serial(() => this.store(cmd.content, cmd.clientMsgId));
  }

  private reject(code: ErrorFrame['code'], message: string, clientMsgId: string | null) {
    this.deps.metrics.messagesRejected.inc({ code });
    this.session.send(errorFrame(code, message, clientMsgId));
  }

  private async store(content: string, clientMsgId: string | null) {
    // Frames that arrived before the socket closed are still stored: the client sent them.
    const { stream } = this;
    try {
      const stored = await this.deps.messages.store(
        stream.access,
        { content, clientMsgId, clientId: this.clientId },
        'ws',
      );
      if (!stored) return this.session.close(1008, 'the group no longer exists');
      // A repeated client_msg_id: the original event again, to the sender only. If this
      // socket has not reached that seq yet, it is on its way in order, and sending it now
      // would put it ahead of the seqs before it.
      if (!stored.created && stored.message.seq <= stream.deliveredSeq)
        this.session.sink.send(textOf('message', stored.text));
    } catch (err) {
      const { orgId, groupId } = stream;
      logUnexpected(err, this.deps.log, 'message store failed', { orgId, groupId });
      this.reject('unavailable', NOT_STORED, clientMsgId);
    }
  }
}

/** `GET /ws/orgs/{orgId}/groups/{groupId}`: the group (404), then the query (400). */
export function groupSeedRoute(deps: GroupSeedDeps): SocketRoute {
  return {
    matches: (pathname) => PATH.test(pathname),
    async authorize(_req: IncomingMessage, url: URL, principal): Promise<Admission> {
      const m = PATH.exec(url.pathname)!;
      const orgId = decode(m[1]!);
      const groupId = decode(m[2]!);
      const access = await deps.groups.access(principal, orgId, groupId);
      // This socket both delivers and takes messages: an API key needs messages:read and
      // messages:write for it (403 naming the one it lacks), so that no frame it sends is refused.
      if (principal.kind === 'apiKey') {
        enforce(canGroupMessages(principal, 'read', access.resource));
        enforce(canGroupMessages(principal, 'post', access.resource));
      }
      const rawSince = url.searchParams.get('since_seq');
      let sinceSeq: number | undefined;
      if (rawSince !== null && rawSince !== '') {
        if (!/^\d{1,15}$/.test(rawSince)) {
          throw new UpgradeRefused('bad_request', 'query.since_seq must be a whole number >= 0');
        }
        sinceSeq = Number(rawSince);
      }
      const clientId = clientIdOf(url);
      const events = parseEvents(url.searchParams.get('events'));
      return {
        // An API key is held to the same cap as a user.
        quotaUser:
          principal.kind === 'operator'
            ? undefined
            : { orgId, userId: principal.id, of: 'user or API key' },
        backlogReason: 'too far behind, reconnect with since_seq',
        open: (socket) =>
          openGroupSocket(socket, deps, {
            principal,
            access,
            orgId,
            groupId,
            sinceSeq,
            clientId,
            events,
          }),
      };
    },
  };
}

/** What an admitted group socket is opened with. */
export interface GroupSocketAdmitted {
  principal: Principal & { expiresAt?: number; sessionId?: string };
  access: GroupAccess;
  orgId: string;
  groupId: string;
  sinceSeq: number | undefined;
  clientId: string | null;
  events: GroupSocketFilter;
}

/** The session of one admitted group socket, bound to its protocol and its one stream. */
export function openGroupSocket(
  { id, sink }: OpenSocket,
  deps: GroupSeedDeps,
  a: GroupSocketAdmitted,
): Session {
  const p = a.principal;
  const user = p.kind === 'user' ? p : undefined;
  const session = new Session(
    sink,
    {
      id,
      principal: p,
      expiresAt: p.expiresAt,
      sessionId: p.sessionId,
      // A key's revocation arrives as `access.revoked` on its own channel.
      channels:
        p.kind === 'user'
          ? [channels.org(a.orgId), channels.user(a.orgId, p.id)]
          : p.kind === 'apiKey'
            ? [channels.org(a.orgId), channels.apiKey(a.orgId, p.id)]
            : [channels.org(a.orgId)],
      reasons: {
        expired: 'access token expired: reconnect with a fresh token',
        loggedOut: 'this session was logged out',
      },
    },
    deps.session,
  );
  const seedSink = new SeedSink(sink, session, a.events, a.groupId);
  const stream = new GroupStream(
    seedSink,
    {
      access: a.access,
      groupId: a.groupId,
      channel: channels.group(a.orgId, a.groupId),
      sinceSeq: a.sinceSeq,
      presence: user && {
        connId: id,
        orgId: a.orgId,
        groupId: a.groupId,
        userId: user.id,
        username: user.username,
      },
    },
    deps.stream,
  );
  session.streams.set(a.groupId, stream);
  return session.bind(new GroupSeedProtocol(session, stream, seedSink, a.clientId, deps));
}
