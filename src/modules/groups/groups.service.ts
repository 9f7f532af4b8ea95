import type { Db } from '../../db/database.js';
import type { GroupRow } from '../../db/schema.js';
import { badRequest, forbidden, notFound } from '../../errors.js';
import { assertOrgMember, isOrgAdmin, type Principal } from '../auth/principal.js';
import { findOrg } from '../orgs/orgs.repo.js';
import { findUser } from '../users/users.repo.js';
import * as repo from './groups.repo.js';

export interface GroupEvents {
  /** A user lost access to a private group: their sockets on it must be closed. */
  memberRemoved?(orgId: string, groupId: string, userId: string): void;
  /** A group became joinable: for the whole org (public) or for one user (a private one's member). */
  groupAdded?(group: GroupRow, audience: { org: true } | { userId: string }): void;
}

/**
 * DM ids are `dm-` + a hash of the two users, computable by anyone: a group under such an id
 * could stand where a DM belongs, so the prefix is for DMs only (in any case).
 */
export const RESERVED_GROUP_PREFIX = /^dm-/i;

export function createGroupService(db: Db, events: GroupEvents = {}) {
  /**
   * The group, if the caller may join it (a public group: every member of the org; members,
   * admins and the operator for a private one). Everything else is 404, never 403.
   */
  async function joinableGroup(p: Principal, orgId: string, groupId: string): Promise<GroupRow> {
    assertOrgMember(p, orgId);
    const group = await repo.findGroup(db, orgId, groupId);
    if (!group) throw notFound('group');
    if (group.private && p.kind === 'user' && !(group.kind === 'group' && p.role === 'admin')) {
      if (!(await repo.isGroupMember(db, orgId, groupId, p.id))) throw notFound('group');
    }
    return group;
  }

  return {
    joinableGroup,

    async create(
      p: Principal,
      orgId: string,
      input: { id: string; name: string; private?: boolean },
    ): Promise<GroupRow> {
      assertOrgMember(p, orgId);
      if (RESERVED_GROUP_PREFIX.test(input.id)) {
        throw badRequest('body.id must not start with "dm-": that prefix is for direct messages');
      }
      if (p.kind === 'operator' && !(await findOrg(db, orgId))) throw notFound('org');
      const group = await repo.insertGroup(db, orgId, {
        id: input.id,
        name: input.name,
        private: input.private ?? false,
        createdBy: p.kind === 'user' ? p.id : null,
      });
      if (!group.private) events.groupAdded?.(group, { org: true });
      else if (p.kind === 'user') events.groupAdded?.(group, { userId: p.id });
      return group;
    },

    async list(p: Principal, orgId: string) {
      assertOrgMember(p, orgId);
      if (p.kind === 'operator' && !(await findOrg(db, orgId))) throw notFound('org');
      const seeAll = isOrgAdmin(p, orgId);
      return repo.listJoinableGroups(
        db,
        orgId,
        seeAll || p.kind !== 'user' ? { seeAll: true } : { seeAll: false, userId: p.id },
        p.kind === 'user' ? p.id : undefined,
      );
    },

    async setMember(
      p: Principal,
      orgId: string,
      groupId: string,
      userId: string,
      present: boolean,
    ): Promise<void> {
      const group = await joinableGroup(p, orgId, groupId);
      if (group.kind === 'dm')
        throw forbidden('the members of a direct conversation cannot change');
      // Ids first, permission second: another org's user is 404 whoever asks.
      if (!(await findUser(db, orgId, userId))) throw notFound('user');
      if (!isOrgAdmin(p, orgId)) {
        const caller = p.kind === 'user' ? p.id : '';
        if (!group.private || !(await repo.isGroupMember(db, orgId, groupId, caller))) {
          throw forbidden('only an admin or a member of this private group may change its members');
        }
      }
      if (present) {
        if ((await repo.addGroupMember(db, orgId, groupId, userId)) && group.private)
          events.groupAdded?.(group, { userId });
      } else if (await repo.removeGroupMember(db, orgId, groupId, userId)) {
        if (group.private) events.memberRemoved?.(orgId, groupId, userId);
      }
    },

    members: (orgId: string, groupId: string) => repo.listGroupMemberIds(db, orgId, groupId),
  };
}

export type GroupService = ReturnType<typeof createGroupService>;
