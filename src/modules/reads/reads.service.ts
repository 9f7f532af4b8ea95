import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { notFound } from '../../errors.js';
import type { ReadEvent } from '../../protocol/workspace.js';
import type { EventSink } from '../../realtime/events.js';
import type { Principal } from '../auth/principal.js';
import type { GroupService } from '../groups/groups.service.js';
import { moveCursor } from './reads.repo.js';

export interface ReadResult {
  group_id: string;
  last_read_seq: number;
  last_seq: number;
  unread_count: number;
  /** The id of the `read` event sent to the user's sockets; null when nothing moved. */
  eventId: string | null;
}

/**
 * Read cursors, set over REST and over the workspace socket alike. A cursor that moved is
 * announced to every socket of the user (their other devices) through the user channel.
 */
export function createReadService(deps: { db: Db; groups: GroupService; events: EventSink }) {
  return {
    /** `eventId`: chosen by a socket that must recognise its own event (delivered in here). */
    async markRead(
      p: Principal,
      orgId: string,
      groupId: string,
      seq: number,
      eventIdIfMoved: string = randomUUID(),
    ): Promise<ReadResult> {
      await deps.groups.access(p, orgId, groupId);
      // The operator reads nothing of its own: it has no cursor.
      if (p.kind !== 'user') throw notFound('group');
      const r = await moveCursor(deps.db, orgId, groupId, p.id, seq);
      if (!r) throw notFound('group');
      let eventId: string | null = null;
      if (r.moved) {
        eventId = eventIdIfMoved;
        const event: ReadEvent = {
          type: 'read',
          id: eventId,
          group_id: groupId,
          seq: r.lastReadSeq,
        };
        deps.events.toUser(orgId, p.id, event);
      }
      return {
        group_id: groupId,
        last_read_seq: r.lastReadSeq,
        last_seq: r.lastSeq,
        unread_count: Math.max(0, r.lastSeq - r.lastReadSeq),
        eventId,
      };
    },
  };
}

export type ReadService = ReturnType<typeof createReadService>;
