import { randomUUID } from 'node:crypto';
import type { GroupRow, OrgRow } from '../../db/schema.js';
import type { Group, Org } from '../../protocol/orgs.js';
import { iso } from '../../shared/time.js';

export const toOrg = (o: OrgRow): Org => ({ id: o.id, name: o.name, created_at: iso(o.createdAt) });

export const toGroup = (g: GroupRow): Group => ({
  id: g.id,
  org_id: g.orgId,
  name: g.name,
  private: g.private,
  created_at: iso(g.createdAt),
});

/** The live event telling users a group became joinable for them (see GroupEvents). */
export const groupAddedEvent = (g: GroupRow) => ({
  type: 'group.added' as const,
  id: randomUUID(),
  group: toGroup(g),
});
