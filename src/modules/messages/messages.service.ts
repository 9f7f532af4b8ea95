import { randomUUID } from 'node:crypto';
import { pgErrorCode, type Db } from '../../db/database.js';
import { AppError, badRequest, notFound } from '../../errors.js';
import type { Broadcast, Message, MessageSearchQuery } from '../../protocol/messages.js';
import { channels } from '../../realtime/channels.js';
import { makeFrame, type Frame, type GapSource, type Hub } from '../../realtime/hub.js';
import { textFault } from '../../shared/text.js';
import { enforce } from '../auth/policy.js';
import { authorOf, type Principal } from '../auth/principal.js';
import type { GroupAccess, GroupService } from '../groups/groups.service.js';
import type { Metrics } from '../ops/metrics.js';
import { toBroadcast, toMessage } from './messages.mapper.js';
import { canAnnouncements, canGroupMessages } from './messages.policy.js';
import * as repo from './messages.repo.js';
import { searchMessages } from './messages.search.js';
import { MessageWriter } from './messages.writer.js';

export interface MessageServiceDeps {
  db: Db;
  hub: Hub;
  groups: GroupService;
  metrics: Metrics;
  /** Where a resume's replay reads: the recent-history cache when it holds the range. */
  history: GapSource;
  retentionMs: number;
  maxMessageChars: number;
  /** Told of every new DM message, after its publish (the seed's `/ws/dm` copies). */
  dmStored?: (message: Message) => void;
}

/** Who a stored message is by: the principal's identity plus the connection's label. */
export interface Author {
  userId: string | null;
  username: string;
  clientId: string | null;
}

export interface Stored {
  message: Message;
  /** The event exactly as sockets receive it (for the sender of a duplicate). */
  text: string;
  created: boolean;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;
export const clampLimit = (limit: number | undefined) =>
  Math.min(Math.max(Math.trunc(limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);

const fromUnix = (name: string, sec: number) => {
  const d = new Date(sec * 1000);
  if (!Number.isFinite(d.getTime())) throw badRequest(`query.${name} is out of range`);
  return d;
};

/** Stored messages as hub frames (gap fills, resume replays): seq > afterSeq, oldest first. */
export function messageGapSource(db: Db, retentionMs: number): GapSource {
  return {
    async framesAfter(orgId, groupId, afterSeq, limit): Promise<Frame[]> {
      const rows = await repo.listAscending(db, orgId, groupId, {
        notBefore: new Date(Date.now() - retentionMs),
        afterSeq,
        limit,
      });
      return rows.map((r) => makeFrame('message', JSON.stringify(toMessage(r)), r.seq));
    },
  };
}

export function createMessageService(deps: MessageServiceDeps) {
  const { db, hub, groups, metrics, history } = deps;
  const notBefore = () => new Date(Date.now() - deps.retentionMs);
  const writer = new MessageWriter(db);
  /** Stores not yet settled: shutdown waits for them before the hub and broker close. */
  const inFlight = new Set<Promise<unknown>>();

  /** Null when acceptable; else the error a sender gets (socket error frame or HTTP status). */
  function checkContent(content: string, clientMsgId: string | null = null): AppError | null {
    if (content.trim() === '') return badRequest('content must not be empty');
    // Every socket's frames and every route reach here: text PostgreSQL cannot store is
    // refused once, for all of them.
    const fault = textFault(content);
    if (fault !== undefined) return badRequest(`content ${fault}`);
    const idFault = clientMsgId === null ? undefined : textFault(clientMsgId);
    if (idFault !== undefined) return badRequest(`client_msg_id ${idFault}`);
    // Code points, as people count characters; the UTF-16 length is an upper bound.
    if (content.length > deps.maxMessageChars && [...content].length > deps.maxMessageChars) {
      return new AppError(
        'payload_too_large',
        `content is longer than ${deps.maxMessageChars} characters`,
      );
    }
    return null;
  }

  /**
   * A search hit with its context, oldest first: up to `limit` messages before `seq`, the one
   * at it (or the next one, if that seq aged out), and up to `limit` after. Two index range
   * reads of (org_id, group_id, seq), as every page of history.
   */
  async function around(orgId: string, groupId: string, seq: number, limit: number) {
    const [before, from] = await Promise.all([
      repo.listNewest(db, orgId, groupId, { notBefore: notBefore(), limit, beforeSeq: seq }),
      repo.listAscending(db, orgId, groupId, {
        notBefore: notBefore(),
        limit: limit + 1,
        afterSeq: seq - 1,
      }),
    ]);
    return [...before.reverse(), ...from].map(toMessage);
  }

  /** The group, if the caller may read its messages; 404 otherwise. */
  async function readable(p: Principal, orgId: string, groupId: string): Promise<GroupAccess> {
    const access = await groups.access(p, orgId, groupId);
    enforce(canGroupMessages(p, 'read', access.resource));
    return access;
  }

  /**
   * Stores, then publishes: the message reaches sockets only once it is committed. A repeated
   * client_msg_id publishes nothing and returns the original. The author is the principal the
   * group access was granted to, who must be allowed to post there. Messages to one group
   * that arrive while its last write is in flight are stored together (group commit, see
   * MessageWriter); each is still answered on its own. Undefined when the group is gone.
   */
  async function store(
    access: GroupAccess,
    input: {
      content: string;
      clientMsgId: string | null;
      /** The label of the sender's connection (`clientId`), if any. */
      clientId?: string | null;
      // A caller that must recognise its own message among the live ones (the workspace
      // socket's publish reply) chooses the id up front.
      id?: string;
    },
    source: 'ws' | 'http',
  ): Promise<Stored | undefined> {
    enforce(canGroupMessages(access.principal, 'post', access.resource));
    const bad = checkContent(input.content, input.clientMsgId);
    if (bad) throw bad;
    const { orgId, groupId } = access;
    const author = authorOf(access.principal);
    const started = performance.now();
    const writing = writer.write(orgId, groupId, {
      id: input.id ?? randomUUID(),
      userId: author.userId,
      username: author.username,
      clientId: input.clientId ?? null,
      clientMsgId: input.clientMsgId,
      content: input.content,
      createdAt: new Date(),
    });
    // Tracked until published: a row committed after the hub closed would never reach the
    // other nodes (issue 16, defect 7), so `drain` holds the shutdown until this settles.
    const settled = writing.then(
      () => {},
      () => {},
    );
    inFlight.add(settled);
    metrics.storesInFlight.inc();
    let result: Awaited<typeof writing>;
    try {
      result = await writing;
    } finally {
      inFlight.delete(settled);
      metrics.storesInFlight.dec();
    }
    metrics.storeLatency.observe((performance.now() - started) / 1000);
    if (!result) return undefined;
    const message = toMessage(result.row);
    const text = JSON.stringify(message);
    const channel = channels.group(orgId, groupId);
    if (result.created) {
      metrics.messagesIn.inc({ source });
      hub.publish(channel, 'message', text, message.seq);
      if (access.group.kind === 'dm') deps.dmStored?.(message);
    } else {
      // A duplicate usually means its sender missed the original's echo. If this node never
      // saw that seq (its publish was lost), the hub reads it from the store now, so the
      // reply (the original, in order) always comes.
      hub.expect(channel, message.seq);
    }
    return { message, text, created: result.created };
  }

  /**
   * Resolves once every store begun so far has settled (and its publish was handed to the
   * hub), or after `maxMs`. Shutdown calls it after the sockets and the HTTP server stopped
   * taking new work, before the hub, the broker and the database close.
   */
  async function drain(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.all([...inFlight]),
        new Promise((resolve) => setTimeout(resolve, deadline - Date.now()).unref()),
      ]);
    }
  }

  return {
    checkContent,
    store,
    drain,

    /** Group broadcast over HTTP: stored and delivered exactly like a socket message. */
    async postToGroup(
      p: Principal,
      orgId: string,
      groupId: string,
      body: { content: string; client_id?: string; client_msg_id?: string },
    ): Promise<Stored> {
      const stored = await store(
        await groups.access(p, orgId, groupId),
        {
          content: body.content,
          clientMsgId: body.client_msg_id ?? null,
          clientId: body.client_id ?? null,
        },
        'http',
      );
      if (!stored) throw new AppError('not_found', 'group not found');
      return stored;
    },

    /** Org announcement: stored, then sent to every socket of the org on every node. */
    async postToOrg(p: Principal, orgId: string, content: string): Promise<Broadcast> {
      enforce(canAnnouncements(p, 'announce', { id: orgId }));
      const bad = checkContent(content);
      if (bad) throw bad;
      let row: repo.BroadcastRow;
      try {
        row = await repo.insertBroadcast(db, orgId, {
          id: randomUUID(),
          ...authorOf(p),
          content,
          createdAt: new Date(),
        });
      } catch (err) {
        // Only the operator can name an org that does not exist (the foreign key refuses it).
        if (pgErrorCode(err) === '23503') {
          throw new AppError('not_found', 'org not found');
        }
        throw err;
      }
      const event = toBroadcast(row);
      metrics.messagesIn.inc({ source: 'broadcast' });
      hub.publish(channels.org(orgId), event.type, JSON.stringify(event));
      return event;
    },

    async listBroadcasts(p: Principal, orgId: string, limit?: number): Promise<Broadcast[]> {
      enforce(canAnnouncements(p, 'read', { id: orgId }));
      const rows = await repo.listBroadcasts(db, orgId, {
        notBefore: notBefore(),
        limit: clampLimit(limit),
      });
      return rows.map(toBroadcast);
    },

    async newest(
      p: Principal,
      orgId: string,
      groupId: string,
      q: { limit?: number; before_seq?: number; around_seq?: number },
    ) {
      await readable(p, orgId, groupId);
      if (q.around_seq !== undefined) {
        if (q.before_seq !== undefined) {
          throw badRequest('query.around_seq and query.before_seq cannot be used together');
        }
        return around(orgId, groupId, q.around_seq, clampLimit(q.limit));
      }
      const rows = await repo.listNewest(db, orgId, groupId, {
        notBefore: notBefore(),
        limit: clampLimit(q.limit),
        beforeSeq: q.before_seq,
      });
      return rows.map(toMessage);
    },

    async after(
      p: Principal,
      orgId: string,
      groupId: string,
      q: { after?: number; after_seq?: number; limit?: number },
    ) {
      await readable(p, orgId, groupId);
      if (q.after === undefined && q.after_seq === undefined) {
        throw badRequest('query.after or query.after_seq is required');
      }
      const rows = await repo.listAscending(db, orgId, groupId, {
        notBefore: notBefore(),
        limit: clampLimit(q.limit),
        afterSeq: q.after_seq,
        createdAfter: q.after !== undefined ? fromUnix('after', q.after) : undefined,
      });
      return rows.map(toMessage);
    },

    async between(
      p: Principal,
      orgId: string,
      groupId: string,
      q: { start: number; end: number; limit?: number },
    ) {
      await readable(p, orgId, groupId);
      if (q.end < q.start) throw badRequest('query.end must not be before query.start');
      const rows = await repo.listAscending(db, orgId, groupId, {
        notBefore: notBefore(),
        limit: clampLimit(q.limit),
        createdFrom: fromUnix('start', q.start),
        // Inclusive to the end of that second, as unix seconds have no milliseconds.
        createdTo: new Date(fromUnix('end', q.end).getTime() + (Number.isInteger(q.end) ? 999 : 0)),
      });
      return rows.map(toMessage);
    },

    async count(p: Principal, orgId: string, groupId: string): Promise<number> {
      await readable(p, orgId, groupId);
      return repo.countMessages(db, orgId, groupId, notBefore());
    },

    /**
     * Search over the history of every group and DM the caller may read (only those: the
     * group policy decides each), ranked in tiers, newest first on ties.
     */
    async search(p: Principal, orgId: string, q: MessageSearchQuery) {
      const readable = await groups.readable(p, orgId);
      let groupIds = readable.map((a) => a.groupId);
      if (q.group_id !== undefined) {
        // One the caller may not read is as absent as one that does not exist.
        if (!groupIds.includes(q.group_id)) throw notFound('group');
        groupIds = [q.group_id];
      }
      if (groupIds.length === 0) return { messages: [], next_cursor: null };
      const found = await searchMessages(
        db,
        {
          orgId,
          groupIds,
          q: q.q,
          userId: q.user_id,
          // RFC 3339 in range: the schema's date-time format checked both.
          createdBefore: q.before === undefined ? undefined : new Date(Date.parse(q.before)),
          createdAfter: q.after === undefined ? undefined : new Date(Date.parse(q.after)),
          notBefore: notBefore(),
        },
        q.limit,
        q.cursor,
      );
      return { messages: found.messages, next_cursor: found.nextCursor };
    },

    /** Pages of the replay a resuming socket gets: seq > afterSeq, oldest first. */
    replayPage(access: GroupAccess, afterSeq: number, limit: number): Promise<Frame[]> {
      enforce(canGroupMessages(access.principal, 'read', access.resource));
      return history.framesAfter(access.orgId, access.groupId, afterSeq, limit);
    },

    /** The group's newest seq (undefined when the group is gone). */
    lastSeq(access: GroupAccess): Promise<number | undefined> {
      enforce(canGroupMessages(access.principal, 'read', access.resource));
      return repo.lastSeqOf(db, access.orgId, access.groupId);
    },
  };
}

export type MessageService = ReturnType<typeof createMessageService>;
