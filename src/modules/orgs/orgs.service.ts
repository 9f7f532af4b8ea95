import type { Db } from '../../db/database.js';
import type { OrgRow } from '../../db/schema.js';
import { notFound } from '../../errors.js';
import { enforce } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { canOrg } from './orgs.policy.js';
import { findOrg, insertOrg, listOrgs } from './orgs.repo.js';

export function createOrgService(db: Db) {
  return {
    /** Only the operator creates orgs (users get one through signup). */
    async create(p: Principal, input: { id: string; name: string }): Promise<OrgRow> {
      enforce(canOrg(p, 'create', { id: input.id }));
      return insertOrg(db, input);
    },

    /** The orgs the caller may see: every org for the operator, a user's own for a user. */
    async list(p: Principal): Promise<OrgRow[]> {
      if (p.kind === 'operator') return listOrgs(db);
      const org = await findOrg(db, p.orgId);
      return org ? [org] : [];
    },

    async get(p: Principal, orgId: string): Promise<OrgRow> {
      enforce(canOrg(p, 'view', { id: orgId }));
      const org = await findOrg(db, orgId);
      if (!org) throw notFound('org');
      return org;
    },
  };
}

export type OrgService = ReturnType<typeof createOrgService>;
