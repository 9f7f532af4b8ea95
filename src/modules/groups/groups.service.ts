import type { Db } from '../../db/database.js';
import type { GroupRow } from '../../db/schema.js';
import { badRequest, notFound } from '../../errors.js';
import { enforce } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { findOrg } from '../orgs/orgs.repo.js';
import { canOrg, isOrgAdmin } from '../orgs/orgs.policy.js';
import { findUser } from '../users/users.repo.js';
import { canGroup, type GroupResource } from './groups.policy.js';
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

/**
 * A group as loaded for one principal who may join it: the proof that services of the group's
 * content (messages, reads, presence) take instead of bare ids, so none of them can be reached
 * without the group policy having been applied. Only `GroupService.access` makes one (the
 * class is not exported; the private field makes the type impossible to imitate).
 *
 * It is a snapshot: a socket holding one for a subscription drops it when the user's access
 * changes (`access.revoked` events), and every request takes a fresh one.
 */
class Access {
  readonly #principal: Principal;
  readonly resource: GroupResource;
  constructor(
    principal: Principal,
    readonly group: GroupRow,
    readonly member: boolean,
  ) {
    this.#principal = principal;
    this.resource = {
      orgId: group.orgId,
      id: group.id,
      private: group.private,
      kind: group.kind,
      member,
    };
  }

  /** Who was let in. */
  get principal(): Principal {
    return this.#principal;
  }

  get orgId(): string {
    return this.group.orgId;
  }

  get groupId(): string {
    return this.group.id;
  }
}
export type { Access as GroupAccess };

export function createGroupService(db: Db, events: GroupEvents = {}) {
  /** The group with the caller's membership, if the caller may join it; 404 otherwise. */
  async function access(p: Principal, orgId: string, groupId: string): Promise<Access> {
    enforce(canOrg(p, 'view', { id: orgId }));
    const found = await repo.findGroupWithMembership(
      db,
      orgId,
      groupId,
      p.kind === 'user' ? p.id : null,
    );
    if (!found) throw notFound('group');
    const a = new Access(p, found.group, found.member);
    enforce(canGroup(p, 'join', a.resource));
    return a;
  }

  /** The org a caller names exists (a user's own org always does; the operator may name any). */
  async function existingOrg(p: Principal, orgId: string): Promise<void> {
    enforce(canOrg(p, 'view', { id: orgId }));
    if (p.kind === 'operator' && !(await findOrg(db, orgId))) throw notFound('org');
  }

  return {
    access,

    async create(
      p: Principal,
      orgId: string,
      input: { id: string; name: string; private?: boolean },
    ): Promise<GroupRow> {
      enforce(canOrg(p, 'view', { id: orgId }));
      if (RESERVED_GROUP_PREFIX.test(input.id)) {
        throw badRequest('body.id must not start with "dm-": that prefix is for direct messages');
      }
      await existingOrg(p, orgId);
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

    /** The groups the caller may join (the policy's `join`, as one query over the org). */
    async list(p: Principal, orgId: string) {
      await existingOrg(p, orgId);
      if (p.kind === 'apiKey') {
        // A key reaches few groups; the policy itself picks them from the org's.
        const all = await repo.listJoinableGroups(db, orgId, { seeAll: true });
        return all.filter((g) => canGroup(p, 'join', { ...g, orgId: g.orgId, member: false }).ok);
      }
      const user = p.kind === 'user' ? p.id : undefined;
      return repo.listJoinableGroups(
        db,
        orgId,
        user && !isOrgAdmin(p, orgId) ? { seeAll: false, userId: user } : { seeAll: true },
        user,
      );
    },

    /**
     * Every group and DM of the org the caller may join (read): the policy's `join`, decided
     * per group over the candidates one query finds. Search over history takes these.
     */
    async readable(p: Principal, orgId: string): Promise<Access[]> {
      await existingOrg(p, orgId);
      const user = p.kind === 'user' ? p.id : null;
      const rows = await repo.listReadCandidates(db, orgId, {
        userId: user,
        // Every private group too where the policy may let some in: admins, the operator, an
        // API key limited to named groups.
        wide:
          p.kind === 'operator' ||
          isOrgAdmin(p, orgId) ||
          (p.kind === 'apiKey' && p.groups !== null),
        operator: p.kind === 'operator',
      });
      return rows
        .map((r) => new Access(p, r.group, r.member))
        .filter((a) => canGroup(p, 'join', a.resource).ok);
    },

    async setMember(
      p: Principal,
      orgId: string,
      groupId: string,
      userId: string,
      present: boolean,
    ): Promise<void> {
      const a = await access(p, orgId, groupId);
      // Ids first, permission second: another org's user is 404 whoever asks.
      if (!(await findUser(db, orgId, userId))) throw notFound('user');
      enforce(canGroup(p, 'manageMembers', a.resource));
      const { group } = a;
      if (present) {
        if ((await repo.addGroupMember(db, orgId, groupId, userId)) && group.private)
          events.groupAdded?.(group, { userId });
      } else if (await repo.removeGroupMember(db, orgId, groupId, userId)) {
        if (group.private) events.memberRemoved?.(orgId, groupId, userId);
      }
    },
  };
}

export type GroupService = ReturnType<typeof createGroupService>;
