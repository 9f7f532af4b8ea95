import type { Db } from '../../db/database.js';
import { notFound } from '../../errors.js';
import type { Notification } from '../../protocol/tasks.js';
import { iso, isoOrNull } from '../../shared/time.js';
import type { Principal } from '../auth/principal.js';
import { listNotifications, markRead, type NotificationRow } from './notifications.repo.js';

const toNotification = (n: NotificationRow): Notification => {
  const payload = n.payload as Record<string, unknown>;
  const task = payload['task'] as { id?: unknown } | undefined;
  return {
    id: n.id,
    type: n.type,
    task_id: typeof task?.id === 'string' ? task.id : null,
    payload,
    created_at: iso(n.createdAt),
    read_at: isoOrNull(n.readAt),
  };
};

/**
 * A user's own notifications (stored reminders), so none is lost while no socket was open.
 * Each user sees only theirs: the queries are scoped to the caller, never to an id they name
 * alone. The operator is not a user and has none.
 */
export function createNotificationService(db: Db) {
  return {
    async list(p: Principal, q: { unread: boolean; limit: number }): Promise<Notification[]> {
      if (p.kind === 'operator') return [];
      const rows = await listNotifications(db, p.orgId, p.id, q);
      return rows.map(toNotification);
    },

    async markRead(p: Principal, id: string): Promise<Notification> {
      const row = p.kind === 'user' ? await markRead(db, p.orgId, p.id, id) : undefined;
      if (!row) throw notFound('notification');
      return toNotification(row);
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
