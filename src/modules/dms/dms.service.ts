import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { badRequest, notFound } from '../../errors.js';
import type { Dm } from '../../protocol/workspace.js';
import type { EventSink } from '../../realtime/events.js';
import { enforce } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { UserRow } from '../../db/schema.js';
import { findUser } from '../users/users.repo.js';
import { toDm } from './dms.mapper.js';
import { canDm } from './dms.policy.js';
import { ensureDm, listDms } from './dms.repo.js';

export interface DmServiceDeps {
  db: Db;
  events: EventSink;
}

/**
 * Direct messages: a DM is a private group of kind `dm` with exactly two members, so the
 * message service, sockets, history, resume and read cursors work on it unchanged (under the
 * group policy). This service names conversations: opens them and lists a user's.
 */
export function createDmService({ db, events }: DmServiceDeps) {
  /** The caller, who opens and lists their own conversations (the operator has none). */
  function asUser(p: Principal, orgId: string): string {
    enforce(canDm(p, 'open', { orgId }));
    if (p.kind !== 'user') throw new Error('unreachable: the DM policy refuses the operator');
    return p.id;
  }

  /**
   * The DM of two users of one org, created on first use; on creation both users' lists gain
   * it live (their other devices too), each as they see it. Callers check the policy.
   */
  async function between(orgId: string, me: UserRow, other: UserRow): Promise<string> {
    const { id, created } = await ensureDm(db, orgId, me.id, other.id);
    if (created) {
      for (const u of [me.id, other.id]) {
        const [row] = await listDms(db, orgId, u, id);
        if (row) events.toUser(orgId, u, { type: 'dm.opened', id: randomUUID(), dm: toDm(row) });
      }
    }
    return id;
  }

  return {
    between,

    /** The DM of the caller with a user of the org, created on first use (idempotent). */
    async open(p: Principal, orgId: string, otherId: string): Promise<Dm> {
      const me = asUser(p, orgId);
      const other = await findUser(db, orgId, otherId);
      if (!other) throw notFound('user');
      if (other.id === me) throw badRequest('params.userId must be another user');
      const { id, created } = await ensureDm(db, orgId, me, other.id);
      const [row] = await listDms(db, orgId, me, id);
      if (!row) throw notFound('user'); // the other user was deleted meanwhile
      const dm = toDm(row);
      if (created) {
        // Both users' lists gain it live (the caller's other devices too), each as they see it.
        events.toUser(orgId, me, { type: 'dm.opened', id: randomUUID(), dm });
        const [theirs] = await listDms(db, orgId, other.id, id);
        if (theirs)
          events.toUser(orgId, other.id, { type: 'dm.opened', id: randomUUID(), dm: toDm(theirs) });
      }
      return dm;
    },

    /** The caller's DMs, with the other user and unread counts, newest activity first. */
    async list(p: Principal, orgId: string): Promise<Dm[]> {
      return (await listDms(db, orgId, asUser(p, orgId))).map(toDm);
    },
  };
}

export type DmService = ReturnType<typeof createDmService>;
