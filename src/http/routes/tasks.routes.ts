import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Api } from '../api.js';
import { badRequest } from '../../errors.js';
import { errors } from '../../protocol/common.js';
import { OrgParams } from '../../protocol/orgs.js';
import {
  CreateTaskBody,
  DueSoonQuery,
  OrgTasksQuery,
  TaskActivityList,
  TaskPage,
  TaskParams,
  UpdateTaskBody,
  UserTasksParams,
  UserTasksQuery,
} from '../../protocol/tasks.js';
import { isoOrNull } from '../../shared/time.js';
import { toTask, type StoredTask } from '../../modules/tasks/tasks.mapper.js';
import type { TaskService } from '../../modules/tasks/tasks.service.js';

const TaskRef = Type.Ref('Task');
const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({ maxLength: 100, description: 'the version: `1`, `"1"` or `W/"1"`; `*` for any' }),
  ),
});

/** `1`, `"1"` and `W/"1"` all name version 1; `*` (or no header) means any version. */
export function parseIfMatch(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(raw);
  if (!m) throw badRequest('header If-Match must be a task version such as "3"');
  return Number(m[1]);
}

function sendTask(reply: FastifyReply, task: StoredTask, status = 200) {
  return reply.status(status).header('etag', `"${task.version}"`).send(toTask(task));
}

export function registerTaskRoutes(app: Api, tasks: TaskService) {
  app.post(
    '/api/v1/users/:userId/tasks',
    {
      config: { scope: 'tasks:write' },
      schema: {
        tags: ['tasks'],
        summary: 'Create a task for a user of the same org',
        params: UserTasksParams,
        body: CreateTaskBody,
        response: { 201: TaskRef, ...errors(400, 404) },
      },
    },
    async (req, reply) =>
      sendTask(reply, await tasks.create(req.principal, req.params.userId, req.body), 201),
  );

  app.get(
    '/api/v1/users/:userId/tasks',
    {
      config: { scope: 'tasks:read' },
      schema: {
        tags: ['tasks'],
        summary: "A user's tasks, newest first (at most 500)",
        params: UserTasksParams,
        querystring: UserTasksQuery,
        response: { 200: Type.Array(TaskRef), ...errors(400, 404) },
      },
    },
    async (req) =>
      (await tasks.listForUser(req.principal, req.params.userId, req.query.status)).map(toTask),
  );

  app.get(
    '/api/v1/users/:userId/tasks/due-soon',
    {
      config: { scope: 'tasks:read' },
      schema: {
        tags: ['tasks'],
        summary:
          "A user's open tasks (pending, in_progress) due before now + hours, overdue ones included, soonest first (at most 500)",
        params: UserTasksParams,
        querystring: DueSoonQuery,
        response: { 200: Type.Array(TaskRef), ...errors(400, 404) },
      },
    },
    async (req) =>
      (await tasks.dueSoon(req.principal, req.params.userId, req.query.hours)).map(toTask),
  );

  app.get(
    '/api/v1/tasks/:id',
    {
      config: { scope: 'tasks:read' },
      schema: {
        tags: ['tasks'],
        summary: 'Get a task of the same org (ETag: its version)',
        params: TaskParams,
        response: { 200: TaskRef, ...errors(404) },
      },
    },
    async (req, reply) => sendTask(reply, await tasks.get(req.principal, req.params.id)),
  );

  app.put(
    '/api/v1/tasks/:id',
    {
      config: { scope: 'tasks:write' },
      schema: {
        tags: ['tasks'],
        summary: 'Update a task (any member); 412 when If-Match names an old version',
        params: TaskParams,
        headers: IfMatchHeaders,
        body: UpdateTaskBody,
        response: { 200: TaskRef, ...errors(400, 404, 412) },
      },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req.headers['if-match']);
      return sendTask(reply, await tasks.update(req.principal, req.params.id, req.body, ifMatch));
    },
  );

  app.delete(
    '/api/v1/tasks/:id',
    {
      config: { scope: 'tasks:write' },
      schema: {
        tags: ['tasks'],
        summary: 'Delete a task (its user, its creator, or an admin)',
        params: TaskParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...errors(400, 403, 404, 412) },
      },
    },
    async (req, reply) => {
      await tasks.remove(req.principal, req.params.id, parseIfMatch(req.headers['if-match']));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/tasks/:id/activity',
    {
      config: { scope: 'tasks:read' },
      schema: {
        tags: ['tasks'],
        summary: 'Who changed what and when, oldest first',
        params: TaskParams,
        response: { 200: TaskActivityList, ...errors(404) },
      },
    },
    async (req) => ({
      activity: (await tasks.activity(req.principal, req.params.id)).map((a) => ({
        id: a.id,
        task_id: a.taskId,
        actor_id: a.actorId,
        actor_name: a.actorName,
        action: a.action,
        changes: a.changes as Record<string, { from: unknown; to: unknown }>,
        version: a.version,
        created_at: isoOrNull(a.createdAt)!,
      })),
    }),
  );

  app.get(
    '/api/v1/orgs/:orgId/tasks',
    {
      config: { scope: 'tasks:read' },
      schema: {
        tags: ['tasks'],
        summary: "The org's tasks: filters, full-text search, sorts, cursor pages",
        params: OrgParams,
        querystring: OrgTasksQuery,
        response: { 200: TaskPage, ...errors(400, 404) },
      },
    },
    async (req) => {
      const page = await tasks.listOrg(req.principal, req.params.orgId, req.query);
      return { tasks: page.tasks.map(toTask), next_cursor: page.nextCursor };
    },
  );
}
