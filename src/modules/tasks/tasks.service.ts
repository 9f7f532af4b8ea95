import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { badRequest, notFound, versionConflict } from '../../errors.js';
import {
  TASK_PRIORITIES,
  TASK_STATUSES,
  type CreateTaskBody,
  type OrgTasksQuery,
  type TaskPriority,
  type TaskStatus,
  type UpdateTaskBody,
} from '../../protocol/tasks.js';
import type { EventSink } from '../../realtime/events.js';
import { isUuid } from '../../shared/ids.js';
import { enforce } from '../auth/policy.js';
import { authorOf, type Principal } from '../auth/principal.js';
import { findOrg } from '../orgs/orgs.repo.js';
import { canOrg } from '../orgs/orgs.policy.js';
import { findUser } from '../users/users.repo.js';
import type { UserService } from '../users/users.service.js';
import { PRIORITY_RANK, toTask, type StoredTask } from './tasks.mapper.js';
import { instant, normaliseReminders, parseList } from './tasks.input.js';
import { listOrgTasks, type ListResult } from './tasks.query.js';
import { canTask } from './tasks.policy.js';
import * as repo from './tasks.repo.js';

/** The per-user listings of the seed are bounded; the org listing pages with a cursor. */
const USER_LIST_LIMIT = 500;
const ACTIVITY_LIMIT = 1000;

export interface TaskServiceDeps {
  db: Db;
  events: EventSink;
  /** Whose tasks a caller may name: the users they may see. */
  users: Pick<UserService, 'visibleUser'>;
}

type TaskEventType = 'task.created' | 'task.updated' | 'task.deleted';

/** The comparable API value of each writable field, for the activity log. */
const snapshot = (t: StoredTask): Record<string, unknown> => {
  const api = toTask(t);
  return {
    title: api.title,
    description: api.description,
    status: api.status,
    priority: api.priority,
    due_date: api.due_date,
    reminders: api.reminders,
    user_id: api.user_id,
    completed_at: api.completed_at,
  };
};

function diff(before: StoredTask | null, after: StoredTask | null) {
  const a = before ? snapshot(before) : {};
  const b = after ? snapshot(after) : {};
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const from = a[field] ?? null;
    const to = b[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}

export function createTaskService({ db, events, users }: TaskServiceDeps) {
  /**
   * Live events go out after the commit; the stored row is the truth, sockets are best-effort.
   * As the contract says, to the sockets of the task's user, and of its previous user when it
   * was reassigned (one event id for both, so a client drops duplicates); nobody else.
   */
  function emit(type: TaskEventType, task: StoredTask, previousUserId?: string) {
    const event = { type, id: randomUUID(), task: toTask(task) };
    events.toUser(task.orgId, task.userId, event);
    if (previousUserId !== undefined && previousUserId !== task.userId)
      events.toUser(task.orgId, previousUserId, event);
  }

  /** The org of a task the caller may see; 404 otherwise (another org's task included). */
  async function taskOrg(p: Principal, id: string): Promise<string> {
    const orgId = p.kind === 'operator' ? await repo.findTaskOrg(db, id) : p.orgId;
    if (!orgId) throw notFound('task');
    return orgId;
  }

  async function visibleTask(p: Principal, id: string): Promise<StoredTask> {
    const task = await repo.findTask(db, await taskOrg(p, id), id);
    if (!task) throw notFound('task');
    enforce(canTask(p, 'view', task));
    return task;
  }

  const visibleUser = (p: Principal, userId: string) => users.visibleUser(p, userId);

  /**
   * A user id given in a query or body: malformed is a 400, another org's is a 404. Inside a
   * transaction pass its handle: PGlite has one connection, so the outer handle would wait.
   */
  async function orgUser(h: Db, orgId: string, id: string, field: string): Promise<string> {
    if (!isUuid(id)) throw badRequest(`${field} must be a uuid`);
    if (!(await findUser(h, orgId, id))) throw notFound(field.replace(/^\w+\./, ''));
    return id.toLowerCase();
  }

  return {
    get: visibleTask,

    async create(p: Principal, userId: string, body: CreateTaskBody): Promise<StoredTask> {
      const user = await visibleUser(p, userId);
      const status = body.status ?? 'pending';
      const priority = body.priority ?? 'medium';
      const author = authorOf(p);
      const task = await db.transaction(async (tx) => {
        const row = await repo.insertTask(tx, user.orgId, {
          userId: user.id,
          createdBy: author.userId,
          title: body.title,
          description: body.description ?? '',
          status,
          priority,
          priorityRank: PRIORITY_RANK[priority],
          dueDate: body.due_date ? new Date(instant(body.due_date, 'body.due_date')) : null,
          reminders: normaliseReminders(body.reminders ?? []),
          completedAt: status === 'completed' ? new Date() : null,
        });
        await repo.insertActivity(tx, user.orgId, row.id, {
          actorId: author.userId,
          actorName: author.username,
          action: 'created',
          changes: diff(null, row),
          version: row.version,
        });
        await repo.syncReminderRows(tx, user.orgId, row);
        return row;
      });
      emit('task.created', task);
      return task;
    },

    async listForUser(p: Principal, userId: string, status?: TaskStatus) {
      const user = await visibleUser(p, userId);
      return repo.listUserTasks(db, user.orgId, user.id, status, USER_LIST_LIMIT);
    },

    async dueSoon(p: Principal, userId: string, hours: number) {
      const user = await visibleUser(p, userId);
      // Overdue open tasks are the most pressing of all: the seed lists them first.
      const until = new Date(Date.now() + hours * 3_600_000);
      return repo.listDueSoon(db, user.orgId, user.id, until, USER_LIST_LIMIT);
    },

    /**
     * Applies a partial update. With `ifMatch`, the change happens only if the task still has
     * that version (412 otherwise). The row is locked for the transaction and the UPDATE itself
     * is conditional on the version, so of two concurrent writers of one version exactly one wins.
     */
    async update(
      p: Principal,
      id: string,
      body: UpdateTaskBody,
      ifMatch?: number,
    ): Promise<StoredTask> {
      const orgId = await taskOrg(p, id);
      const author = authorOf(p);
      const outcome = await db.transaction(async (tx) => {
        const cur = await repo.lockTask(tx, orgId, id);
        if (!cur) throw notFound('task');
        enforce(canTask(p, 'update', cur));
        if (ifMatch !== undefined && ifMatch !== cur.version) throw versionConflict(cur.version);
        const patch: repo.TaskPatch = {};
        if (body.title !== undefined) patch.title = body.title;
        if (body.description !== undefined) patch.description = body.description;
        if (body.priority !== undefined) {
          patch.priority = body.priority;
          patch.priorityRank = PRIORITY_RANK[body.priority];
        }
        if (body.status !== undefined && body.status !== cur.status) {
          patch.status = body.status;
          patch.completedAt = body.status === 'completed' ? new Date() : null;
        }
        if (body.due_date !== undefined)
          patch.dueDate = body.due_date ? new Date(instant(body.due_date, 'body.due_date')) : null;
        if (body.reminders !== undefined) patch.reminders = normaliseReminders(body.reminders);
        if (body.user_id !== undefined && body.user_id.toLowerCase() !== cur.userId)
          patch.userId = await orgUser(tx, orgId, body.user_id, 'body.user_id');
        const changes = diff(cur, { ...cur, ...patch });
        // Nothing changed: no new version, no log entry, no event.
        if (!Object.keys(changes).length) return { before: cur, after: cur };
        const after = await repo.updateTaskIfVersion(tx, orgId, id, cur.version, patch);
        if (!after) throw versionConflict(cur.version + 1);
        await repo.insertActivity(tx, orgId, id, {
          actorId: author.userId,
          actorName: author.username,
          action: 'updated',
          changes: diff(cur, after),
          version: after.version,
        });
        if ('due_date' in changes || 'reminders' in changes)
          await repo.syncReminderRows(tx, orgId, after);
        return { before: cur, after };
      });
      const { before, after } = outcome;
      if (after !== before) emit('task.updated', after, before.userId);
      return after;
    },

    /** Only its user, its creator or an admin (or the operator) may delete a task. */
    async remove(p: Principal, id: string, ifMatch?: number): Promise<void> {
      const orgId = await taskOrg(p, id);
      const author = authorOf(p);
      const deleted = await db.transaction(async (tx) => {
        const cur = await repo.lockTask(tx, orgId, id);
        if (!cur) throw notFound('task');
        enforce(canTask(p, 'delete', cur));
        if (ifMatch !== undefined && ifMatch !== cur.version) throw versionConflict(cur.version);
        if (!(await repo.deleteTaskIfVersion(tx, orgId, id, cur.version)))
          throw versionConflict(cur.version + 1);
        await repo.insertActivity(tx, orgId, id, {
          actorId: author.userId,
          actorName: author.username,
          action: 'deleted',
          changes: {},
          version: cur.version,
        });
        return cur;
      });
      emit('task.deleted', deleted);
    },

    async listOrg(p: Principal, orgId: string, q: OrgTasksQuery): Promise<ListResult> {
      enforce(canOrg(p, 'view', { id: orgId }));
      if (p.kind === 'operator' && !(await findOrg(db, orgId))) throw notFound('org');
      return listOrgTasks(
        db,
        orgId,
        {
          ...(q.status !== undefined && {
            statuses: parseList<TaskStatus>(q.status, TASK_STATUSES, 'status'),
          }),
          ...(q.priority !== undefined && {
            priorities: parseList<TaskPriority>(q.priority, TASK_PRIORITIES, 'priority'),
          }),
          ...(q.user_id !== undefined && {
            userId: await orgUser(db, orgId, q.user_id, 'query.user_id'),
          }),
          ...(q.created_by !== undefined && {
            createdBy: await orgUser(db, orgId, q.created_by, 'query.created_by'),
          }),
          ...(q.due_before !== undefined && {
            dueBefore: new Date(instant(q.due_before, 'query.due_before')),
          }),
          ...(q.due_after !== undefined && {
            dueAfter: new Date(instant(q.due_after, 'query.due_after')),
          }),
          ...(q.overdue && { overdue: true }),
          ...(q.q !== undefined && { q: q.q }),
        },
        q.sort,
        q.limit,
        q.cursor,
      );
    },

    async activity(p: Principal, id: string) {
      const task = await visibleTask(p, id);
      return repo.listActivity(db, task.orgId, task.id, ACTIVITY_LIMIT);
    },
  };
}

export type TaskService = ReturnType<typeof createTaskService>;
