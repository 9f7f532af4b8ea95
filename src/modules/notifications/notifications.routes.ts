import type { Api } from '../../http/deps.js';
import type { Db } from '../../db/database.js';
import { notFound } from '../../errors.js';
import { errors } from '../../protocol/common.js';
import {
  Notification,
  NotificationList,
  NotificationParams,
  NotificationsQuery,
} from '../../protocol/tasks.js';
import { iso, isoOrNull } from '../../shared/time.js';
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
 * The caller's own notifications (stored reminders), so none is lost while no socket was
 * open. The operator is not a user and has none.
 */
export function registerNotificationRoutes(app: Api, db: Db) {
  app.get(
    '/api/v1/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: "The caller's notifications, newest first",
        querystring: NotificationsQuery,
        response: { 200: NotificationList, ...errors(400) },
      },
    },
    async (req) => {
      const p = req.principal;
      if (p.kind === 'operator') return { notifications: [] };
      const rows = await listNotifications(db, p.orgId, p.id, {
        unread: req.query.unread === true,
        limit: req.query.limit,
      });
      return { notifications: rows.map(toNotification) };
    },
  );

  app.post(
    '/api/v1/notifications/:id/read',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark one of the caller’s notifications read',
        params: NotificationParams,
        response: { 200: Notification, ...errors(404) },
      },
    },
    async (req) => {
      const p = req.principal;
      const row = p.kind === 'user' ? await markRead(db, p.orgId, p.id, req.params.id) : undefined;
      if (!row) throw notFound('notification');
      return toNotification(row);
    },
  );
}
