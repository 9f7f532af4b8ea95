import { eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import { orgs, type OrgRow } from '../../db/schema.js';
import { conflict } from '../../errors.js';
import { isSlug } from '../../shared/ids.js';

export async function insertOrg(db: Db, org: { id: string; name: string }): Promise<OrgRow> {
  try {
    const [row] = await db.insert(orgs).values(org).returning();
    return row!;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`org "${org.id}" already exists`);
    throw err;
  }
}

export async function findOrg(db: Db, orgId: string): Promise<OrgRow | undefined> {
  if (!isSlug(orgId)) return undefined; // a malformed id names no org
  const [row] = await db.select().from(orgs).where(eq(orgs.id, orgId)).limit(1);
  return row;
}

export async function listOrgs(db: Db): Promise<OrgRow[]> {
  return db.select().from(orgs).orderBy(orgs.createdAt, orgs.id).limit(10_000);
}
