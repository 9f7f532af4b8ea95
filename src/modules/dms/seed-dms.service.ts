import type { Db } from '../../db/database.js';
import { AppError, badRequest, notFound } from '../../errors.js';
import type { SeedDm, SeedDmBody } from '../../protocol/seed-dms.js';
import { enforce } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { GroupService } from '../groups/groups.service.js';
import type { MessageService } from '../messages/messages.service.js';
import { canOrg } from '../orgs/orgs.policy.js';
import { findUser, listUsers } from '../users/users.repo.js';
import { toSeedDm } from './dms.copies.js';
import { canDm } from './dms.policy.js';
import { findDm } from './dms.repo.js';
import type { DmService } from './dms.service.js';

export interface SeedDmDeps {
  db: Db;
  dms: DmService;
  groups: GroupService;
  messages: MessageService;
  /** The users among `userIds` with a socket open on any node. */
  connected(orgId: string, userIds: string[]): Promise<string[]>;
}

/**
 * The Go server's DM routes and socket frames over OrgHub's own DMs: the same conversations
 * (`dms.between`), the same store, stream and policies (`canDm`, then the group policy of the
 * DM), scoped to the caller's org (the operator names one with `org_id`).
 */
export function createSeedDmService(deps: SeedDmDeps) {
  const { db, dms, groups, messages } = deps;

  function orgOf(p: Principal, orgId: string | undefined): string {
    if (p.kind === 'user') {
      // Another org's id is answered as unknown, as everywhere.
      if (orgId !== undefined && orgId !== p.orgId) throw notFound('org');
      return p.orgId;
    }
    if (!orgId) throw badRequest('query.org_id is required for the operator');
    return orgId;
  }

  /**
   * Both users, in the org; 404 for either missing (or of another org), looked up before the
   * policy, so that another org's user is unknown (404) as everywhere, and a user of one's own
   * org named as the sender is refused (403).
   */
  async function pair(orgId: string, userId: string, otherId: string) {
    const [me, other] = await Promise.all([
      findUser(db, orgId, userId),
      findUser(db, orgId, otherId),
    ]);
    if (!me || !other) throw notFound('user');
    if (me.id === other.id) throw badRequest('params.recipientId must be another user');
    return [me, other] as const;
  }

  return {
    /** A DM from `userId` (the caller, or the operator on their behalf) to `recipientId`. */
    async send(
      p: Principal,
      userId: string,
      recipientId: string,
      body: SeedDmBody & { client_id?: string | null },
      source: 'ws' | 'http',
      org?: string,
    ): Promise<{ message: SeedDm; created: boolean }> {
      const orgId = orgOf(p, org);
      const [me, other] = await pair(orgId, userId, recipientId);
      enforce(canDm(p, 'send', { orgId, userId: me.id }));
      const id = await dms.between(orgId, me, other);
      const access = await groups.access(p, orgId, id);
      const stored = await messages.store(
        access,
        {
          content: body.content,
          clientMsgId: body.client_msg_id ?? null,
          clientId: body.client_id ?? null,
        },
        source,
      );
      if (!stored) throw new AppError('not_found', 'user not found');
      return { message: toSeedDm(stored.message, [me.id, other.id]), created: stored.created };
    },

    /** The conversation of the two, newest first; empty when they never wrote. */
    async history(
      p: Principal,
      userId: string,
      recipientId: string,
      q: { limit?: number; org_id?: string },
    ): Promise<SeedDm[]> {
      const orgId = orgOf(p, q.org_id);
      const [me, other] = await pair(orgId, userId, recipientId);
      enforce(canDm(p, 'read', { orgId, userId: me.id, otherId: other.id }));
      const id = await findDm(db, orgId, me.id, other.id);
      if (id === undefined) return [];
      const page = await messages.newest(p, orgId, id, {
        ...(q.limit !== undefined && { limit: q.limit }),
      });
      return page.map((m) => toSeedDm(m, [me.id, other.id]));
    },

    /** Users of the caller's org with any socket open, on any node. */
    async connectedUsers(p: Principal, org?: string): Promise<string[]> {
      const orgId = orgOf(p, org);
      enforce(canOrg(p, 'view', { id: orgId }));
      const ids = (await listUsers(db, orgId)).map((u) => u.id);
      return ids.length ? deps.connected(orgId, ids) : [];
    },
  };
}

export type SeedDmService = ReturnType<typeof createSeedDmService>;
