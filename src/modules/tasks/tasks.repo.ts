import { and, asc, desc, eq, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { taskActivity, taskReminders, tasks } from '../../db/schema.js';
import type { TaskStatus } from '../../protocol/tasks.js';
import { isUuid } from '../../shared/ids.js';
import { taskColumns, type StoredTask } from './tasks.mapper.js';
import { planReminders, reminderKey } from './reminder-times.js';

/** Every function takes the org first (after the handle): a task is only found in its org. */

export type NewTask = Omit<
  typeof tasks.$inferInsert,
  'id' | 'orgId' | 'search' | 'version' | 'createdAt' | 'updatedAt'
>;
export type TaskPatch = Partial<
  Pick<
    StoredTask,
    | 'title'
    | 'description'
    | 'status'
    | 'priority'
    | 'priorityRank'
    | 'dueDate'
    | 'reminders'
    | 'userId'
    | 'completedAt'
  >
>;

export async function insertTask(db: Db, orgId: string, t: NewTask): Promise<StoredTask> {
  const [row] = await db
    .insert(tasks)
    .values({ ...t, orgId })
    .returning(taskColumns);
  return row!;
}

export async function findTask(db: Db, orgId: string, id: string): Promise<StoredTask | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select(taskColumns)
    .from(tasks)
    .where(and(eq(tasks.orgId, orgId), eq(tasks.id, id)))
    .limit(1);
  return row;
}

/** Only for the operator, who acts in every org: finds which org a task belongs to. */
export async function findTaskOrg(db: Db, id: string): Promise<string | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select({ orgId: tasks.orgId })
    .from(tasks)
    .where(eq(tasks.id, id))
    .limit(1);
  return row?.orgId;
}

/** Locks the row for the rest of the transaction (a concurrent writer waits for it). */
export async function lockTask(db: Db, orgId: string, id: string): Promise<StoredTask | undefined> {
  // Not a uuid, so no task: PostgreSQL would refuse the comparison with an error (a 500).
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select(taskColumns)
    .from(tasks)
    .where(and(eq(tasks.orgId, orgId), eq(tasks.id, id)))
    .for('update');
  return row;
}

/**
 * Applies a patch only if the task still has `version`, bumping it by one; undefined when
 * another writer got there first. The check and the write are one statement.
 */
export async function updateTaskIfVersion(
  db: Db,
  orgId: string,
  id: string,
  version: number,
  patch: TaskPatch,
): Promise<StoredTask | undefined> {
  const [row] = await db
    .update(tasks)
    .set({ ...patch, version: sql`${tasks.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(tasks.orgId, orgId), eq(tasks.id, id), eq(tasks.version, version)))
    .returning(taskColumns);
  return row;
}

export async function deleteTaskIfVersion(
  db: Db,
  orgId: string,
  id: string,
  version: number,
): Promise<boolean> {
  const rows = await db
    .delete(tasks)
    .where(and(eq(tasks.orgId, orgId), eq(tasks.id, id), eq(tasks.version, version)))
    .returning({ id: tasks.id });
  return rows.length === 1;
}

export async function listUserTasks(
  db: Db,
  orgId: string,
  userId: string,
  status: TaskStatus | undefined,
  limit: number,
): Promise<StoredTask[]> {
  return db
    .select(taskColumns)
    .from(tasks)
    .where(
      and(
        eq(tasks.orgId, orgId),
        eq(tasks.userId, userId),
        status ? eq(tasks.status, status) : undefined,
      ),
    )
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .limit(limit);
}

/** Open tasks of a user due by `until`, overdue ones included (as in the seed), soonest first. */
export async function listDueSoon(
  db: Db,
  orgId: string,
  userId: string,
  until: Date,
  limit: number,
): Promise<StoredTask[]> {
  return db
    .select(taskColumns)
    .from(tasks)
    .where(
      and(
        eq(tasks.orgId, orgId),
        eq(tasks.userId, userId),
        inArray(tasks.status, ['pending', 'in_progress']),
        isNotNull(tasks.dueDate),
        lte(tasks.dueDate, until),
      ),
    )
    .orderBy(asc(tasks.dueDate), asc(tasks.id))
    .limit(limit);
}

export interface ActivityEntry {
  actorId: string | null;
  actorName: string;
  action: 'created' | 'updated' | 'deleted';
  changes: Record<string, { from: unknown; to: unknown }>;
  version: number;
}

export async function insertActivity(db: Db, orgId: string, taskId: string, e: ActivityEntry) {
  await db.insert(taskActivity).values({ orgId, taskId, ...e });
}

export async function listActivity(db: Db, orgId: string, taskId: string, limit: number) {
  return db
    .select()
    .from(taskActivity)
    .where(and(eq(taskActivity.orgId, orgId), eq(taskActivity.taskId, taskId)))
    .orderBy(asc(taskActivity.createdAt), asc(taskActivity.version))
    .limit(limit);
}

/**
 * Makes the task's reminder rows match its reminders and due date. A reminder whose spec and
 * time are unchanged keeps its row, so one that already fired does not fire again; the rest
 * are replaced. Reminders that do not apply (relative, without a due date) get no row.
 */
export async function syncReminderRows(db: Db, orgId: string, task: StoredTask): Promise<void> {
  const planned = planReminders(task.reminders as never, task.dueDate);
  const existing = await db
    .select()
    .from(taskReminders)
    .where(and(eq(taskReminders.orgId, orgId), eq(taskReminders.taskId, task.id)));
  const wanted = new Map(planned.map((p) => [reminderKey(p.spec, p.fireAt), p]));
  const stale: string[] = [];
  for (const row of existing) {
    const key = reminderKey(row.spec, row.fireAt);
    const keep = wanted.get(key);
    if (keep) {
      wanted.delete(key);
      if (row.position !== keep.position)
        await db
          .update(taskReminders)
          .set({ position: keep.position })
          .where(eq(taskReminders.id, row.id));
    } else stale.push(row.id);
  }
  if (stale.length) await db.delete(taskReminders).where(inArray(taskReminders.id, stale));
  if (wanted.size)
    await db.insert(taskReminders).values(
      [...wanted.values()].map((p) => ({
        orgId,
        taskId: task.id,
        position: p.position,
        spec: p.spec,
        fireAt: p.fireAt,
      })),
    );
}

/** Unfired reminder rows of a task (tests and diagnostics). */
export async function pendingReminderRows(db: Db, orgId: string, taskId: string) {
  return db
    .select()
    .from(taskReminders)
    .where(
      and(
        eq(taskReminders.orgId, orgId),
        eq(taskReminders.taskId, taskId),
        isNull(taskReminders.firedAt),
      ),
    )
    .orderBy(asc(taskReminders.position));
}
