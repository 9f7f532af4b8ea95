import type { Db } from '../../db/database.js';
import type { UserRow } from '../../db/schema.js';
import { badRequest, conflict, forbidden, notFound } from '../../errors.js';
import { enforce } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { assertAcceptablePassword } from '../auth/password-policy.js';
import { revokeOtherFamilies } from '../auth/refresh-tokens.repo.js';
import { findOrg } from '../orgs/orgs.repo.js';
import { canOrg } from '../orgs/orgs.policy.js';
import { canUser } from './users.policy.js';
import * as repo from './users.repo.js';

export interface UserEvents {
  /** A user's role changed: open sockets must learn of it. */
  userChanged?(orgId: string, userId: string, change: 'role'): void;
  /**
   * Sessions of the user ended: by their own password change (`others`: every session but the
   * current one), an admin's reset (`all`), or the user's deletion (`deleted`). Their tokens
   * must stop working and their sockets close, on every node.
   */
  sessionsEnded?(
    orgId: string,
    userId: string,
    sessionIds: readonly string[],
    cause: 'others' | 'all' | 'deleted',
  ): void;
}

export function createUserService(db: Db, events: UserEvents = {}) {
  /** Finds a user the caller may see: same org, or any org for the operator; 404 otherwise. */
  async function visibleUser(p: Principal, id: string): Promise<UserRow> {
    const user =
      p.kind === 'operator'
        ? await repo.findUserAnyOrg(db, id)
        : await repo.findUser(db, p.orgId, id);
    if (!user) throw notFound('user');
    enforce(canUser(p, 'view', user));
    return user;
  }

  return {
    visibleUser,

    async create(
      p: Principal,
      input: {
        username: string;
        email: string;
        fullName?: string;
        orgId: string;
        password: string;
        role?: 'admin' | 'member';
      },
    ): Promise<UserRow> {
      enforce(canOrg(p, 'administer', { id: input.orgId }));
      if (!(await findOrg(db, input.orgId))) throw notFound('org');
      await assertAcceptablePassword(input.password, input);
      return repo.insertUser(db, input.orgId, {
        username: input.username,
        email: input.email,
        fullName: input.fullName ?? '',
        passwordHash: await hashPassword(input.password),
        role: input.role ?? 'member',
      });
    },

    async update(
      p: Principal,
      id: string,
      patch: {
        fullName?: string;
        email?: string;
        password?: string;
        role?: 'admin' | 'member';
        currentPassword?: string;
      },
    ): Promise<UserRow> {
      const user = await visibleUser(p, id);
      enforce(canUser(p, 'update', user));
      const self = p.kind === 'user' && p.id === user.id;
      // A stolen access token must not become a permanent takeover: changing one's own
      // password or email takes the password one has now.
      if (self && (patch.password !== undefined || patch.email !== undefined)) {
        if (patch.currentPassword === undefined) {
          throw badRequest(
            'body.current_password is required to change your own password or email',
          );
        }
        if (!(await verifyPassword(patch.currentPassword, user.passwordHash))) {
          throw forbidden('body.current_password is wrong');
        }
      }
      if (patch.role !== undefined) enforce(canUser(p, 'changeRole', user));
      if (
        patch.role === 'member' &&
        user.role === 'admin' &&
        (await repo.countOtherAdmins(db, user.orgId, user.id)) === 0
      ) {
        throw conflict('an org must keep at least one admin');
      }
      if (patch.password !== undefined) {
        await assertAcceptablePassword(patch.password, {
          username: user.username,
          email: patch.email ?? user.email,
        });
      }
      const updated = await repo.updateUser(db, user.orgId, user.id, {
        ...(patch.fullName !== undefined && { fullName: patch.fullName }),
        ...(patch.email !== undefined && { email: patch.email }),
        ...(patch.role !== undefined && { role: patch.role }),
        ...(patch.password !== undefined && { passwordHash: await hashPassword(patch.password) }),
      });
      if (!updated) throw notFound('user');
      if (patch.password !== undefined) {
        // One's own change keeps the session that made it; an admin's reset ends them all.
        const keep = self && p.kind === 'user' ? p.sessionId : undefined;
        const ended = await revokeOtherFamilies(db, user.orgId, user.id, keep);
        events.sessionsEnded?.(user.orgId, user.id, ended, keep === undefined ? 'all' : 'others');
      }
      if (patch.role !== undefined && patch.role !== user.role)
        events.userChanged?.(user.orgId, user.id, 'role');
      return updated;
    },

    async remove(p: Principal, id: string): Promise<void> {
      const user = await visibleUser(p, id);
      enforce(canUser(p, 'delete', user));
      if (user.role === 'admin' && (await repo.countOtherAdmins(db, user.orgId, user.id)) === 0) {
        throw conflict('an org must keep at least one admin');
      }
      // Its sessions end first: the deletion takes their rows with it (cascade), and every node
      // must refuse their tokens without asking the database.
      const ended = await revokeOtherFamilies(db, user.orgId, user.id, undefined);
      if (!(await repo.deleteUser(db, user.orgId, user.id))) throw notFound('user');
      events.sessionsEnded?.(user.orgId, user.id, ended, 'deleted');
    },

    async searchByUsername(
      p: Principal,
      username: string,
      orgIdInQuery?: string,
    ): Promise<UserRow> {
      // The operator names the org; a user may repeat their own, and another org is 404.
      if (orgIdInQuery !== undefined) enforce(canOrg(p, 'view', { id: orgIdInQuery }));
      const orgId = p.kind === 'operator' ? orgIdInQuery : p.orgId;
      if (!orgId) throw notFound('user');
      const user = await repo.findUserByLogin(db, orgId, { username });
      if (!user) throw notFound('user');
      return user;
    },

    async listOrgUsers(p: Principal, orgId: string): Promise<UserRow[]> {
      enforce(canOrg(p, 'view', { id: orgId }));
      if (p.kind === 'operator' && !(await findOrg(db, orgId))) throw notFound('org');
      return repo.listUsers(db, orgId);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
