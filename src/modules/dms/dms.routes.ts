import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import type { Db } from '../../db/database.js';
import type { Api } from '../../http/deps.js';
import { badRequest, forbidden, notFound } from '../../errors.js';
import { errors } from '../../protocol/common.js';
import { OrgParams } from '../../protocol/orgs.js';
import { Dm, DmParams } from '../../protocol/workspace.js';
import type { EventSink } from '../../realtime/events.js';
import { iso } from '../../shared/time.js';
import { assertOrgMember, type Principal, type UserPrincipal } from '../auth/principal.js';
import { findUser } from '../users/users.repo.js';
import { ensureDm, listDms, type DmRow } from './dms.repo.js';

const toDm = (r: DmRow): Dm => ({
  id: r.id,
  org_id: r.orgId,
  kind: 'dm',
  other_user: { id: r.otherId, username: r.otherUsername },
  last_seq: r.lastSeq,
  last_read_seq: Math.min(r.lastReadSeq, r.lastSeq),
  unread_count: Math.max(0, r.lastSeq - r.lastReadSeq),
  created_at: iso(r.createdAt),
});

/** DMs belong to two users; the operator has none. */
function asUser(p: Principal, orgId: string): UserPrincipal {
  assertOrgMember(p, orgId);
  if (p.kind !== 'user') throw forbidden('direct messages are between users');
  return p;
}

/**
 * Direct messages: a DM is a private group of kind `dm` with exactly two members, so the
 * message routes, sockets, history, resume and read cursors work on it unchanged.
 */
export function registerDmRoutes(app: Api, db: Db, events: EventSink) {
  app.addSchema(Dm);

  app.post(
    '/api/v1/orgs/:orgId/dms/:userId',
    {
      schema: {
        tags: ['dms'],
        summary: 'The DM with a user of the org, created on first use (idempotent)',
        params: DmParams,
        response: { 200: Type.Ref('Dm'), ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const { orgId, userId } = req.params;
      const me = asUser(req.principal, orgId);
      const other = await findUser(db, orgId, userId);
      if (!other) throw notFound('user');
      if (other.id === me.id) throw badRequest('params.userId must be another user');
      const { id, created } = await ensureDm(db, orgId, me.id, other.id);
      const [row] = await listDms(db, orgId, me.id, id);
      if (!row) throw notFound('user'); // the other user was deleted meanwhile
      const dm = toDm(row);
      if (created) {
        // Both users' lists gain it live (the caller's other devices too), each as they see it.
        events.toUser(orgId, me.id, { type: 'dm.opened', id: randomUUID(), dm });
        const [theirs] = await listDms(db, orgId, other.id, id);
        if (theirs)
          events.toUser(orgId, other.id, { type: 'dm.opened', id: randomUUID(), dm: toDm(theirs) });
      }
      return dm;
    },
  );

  app.get(
    '/api/v1/orgs/:orgId/dms',
    {
      schema: {
        tags: ['dms'],
        summary: 'The caller’s DMs, with the other user and unread counts',
        params: OrgParams,
        response: { 200: Type.Array(Type.Ref('Dm')), ...errors(403, 404) },
      },
    },
    async (req) => {
      const me = asUser(req.principal, req.params.orgId);
      return (await listDms(db, req.params.orgId, me.id)).map(toDm);
    },
  );
}
