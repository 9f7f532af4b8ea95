import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { notifications } from '../../db/schema.js';
import { isUuid } from '../../shared/ids.js';

/** Every function takes the org first, then the user whose notifications they are. */

export type NotificationRow = typeof notifications.$inferSelect;

export async function insertNotification(
  db: Db,
  orgId: string,
  n: { userId: string; type: string; payload: Record<string, unknown> },
): Promise<NotificationRow> {
  const [row] = await db
    .insert(notifications)
    .values({ orgId, ...n })
    .returning();
  return row!;
}

export async function listNotifications(
  db: Db,
  orgId: string,
  userId: string,
  opts: { unread: boolean; limit: number },
): Promise<NotificationRow[]> {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.orgId, orgId),
        eq(notifications.userId, userId),
        opts.unread ? isNull(notifications.readAt) : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(opts.limit);
}

/** Marks one of the user's notifications read (once: a second call keeps the first time). */
export async function markRead(
  db: Db,
  orgId: string,
  userId: string,
  id: string,
): Promise<NotificationRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(
      and(
        eq(notifications.orgId, orgId),
        eq(notifications.userId, userId),
        eq(notifications.id, id),
      ),
    )
    .returning();
  return row;
}
