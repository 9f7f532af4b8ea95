import type { Api } from '../api.js';
import { errors } from '../../protocol/common.js';
import {
  Notification,
  NotificationList,
  NotificationParams,
  NotificationsQuery,
} from '../../protocol/tasks.js';
import type { NotificationService } from '../../modules/notifications/notifications.service.js';

export function registerNotificationRoutes(app: Api, notifications: NotificationService) {
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
    async (req) => ({
      notifications: await notifications.list(req.principal, {
        unread: req.query.unread === true,
        limit: req.query.limit,
      }),
    }),
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
    async (req) => notifications.markRead(req.principal, req.params.id),
  );
}
