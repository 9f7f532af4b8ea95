import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { rowsOf } from '../../shared/rows.js';

export interface CursorMove {
  lastReadSeq: number;
  lastSeq: number;
  /** True when the stored cursor changed (a move forwards). */
  moved: boolean;
}

/**
 * Moves a user's read cursor on a group to `seq`, clamped to the group's last seq, never
 * backwards (concurrent moves keep the greatest), in one statement. Undefined when the
 * group does not exist. Access is the caller's job.
 */
export async function moveCursor(
  db: Db,
  orgId: string,
  groupId: string,
  userId: string,
  seq: number,
): Promise<CursorMove | undefined> {
  const result = await db.execute(sql`
    with g as (
      select org_id, id, last_seq from groups where org_id = ${orgId} and id = ${groupId}
    ), old as (
      select last_read_seq from read_cursors
      where org_id = ${orgId} and group_id = ${groupId} and user_id = ${userId}
    ), up as (
      insert into read_cursors (org_id, group_id, user_id, last_read_seq, updated_at)
      select org_id, id, ${userId}, least(${seq}::bigint, last_seq), now() from g
      on conflict (org_id, group_id, user_id) do update
        set last_read_seq = greatest(read_cursors.last_read_seq, excluded.last_read_seq),
            updated_at = now()
      returning last_read_seq
    )
    select (select last_read_seq from up) as last_read_seq,
           (select last_seq from g) as last_seq,
           (select last_read_seq from old) as old_seq
    from g`);
  const row = rowsOf<{ last_read_seq: unknown; last_seq: unknown; old_seq: unknown }>(result)[0];
  if (!row) return undefined;
  const lastReadSeq = Number(row.last_read_seq);
  return {
    lastReadSeq,
    lastSeq: Number(row.last_seq),
    moved: row.old_seq === null ? lastReadSeq > 0 : Number(row.old_seq) !== lastReadSeq,
  };
}
