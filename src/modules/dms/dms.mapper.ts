import type { Dm } from '../../protocol/workspace.js';
import { iso } from '../../shared/time.js';
import type { DmRow } from './dms.repo.js';

/** A DM as its caller sees it: the other user, and the caller's unread position. */
export const toDm = (r: DmRow): Dm => ({
  id: r.id,
  org_id: r.orgId,
  kind: 'dm',
  other_user: { id: r.otherId, username: r.otherUsername },
  last_seq: r.lastSeq,
  last_read_seq: Math.min(r.lastReadSeq, r.lastSeq),
  unread_count: Math.max(0, r.lastSeq - r.lastReadSeq),
  created_at: iso(r.createdAt),
});
