import type { UserRow } from '../../db/schema.js';
import type { User } from '../../protocol/users.js';
import { iso } from '../../shared/time.js';

export const toUser = (u: UserRow): User => ({
  id: u.id,
  username: u.username,
  email: u.email,
  full_name: u.fullName,
  org_id: u.orgId,
  role: u.role,
  created_at: iso(u.createdAt),
  updated_at: iso(u.updatedAt),
});
