import { getTableColumns } from 'drizzle-orm';
import { tasks, type TaskRow } from '../../db/schema.js';
import type { Reminder, Task } from '../../protocol/tasks.js';
import { iso, isoOrNull } from '../../shared/time.js';

/** A task row without its generated `search` vector, which is never sent anywhere. */
export type StoredTask = Omit<TaskRow, 'search'>;

const { search: _search, ...columns } = getTableColumns(tasks);
/** The columns every task query selects (or returns): all but the search vector. */
export const taskColumns = columns;

export const toTask = (t: StoredTask): Task => ({
  id: t.id,
  org_id: t.orgId,
  user_id: t.userId,
  created_by: t.createdBy,
  title: t.title,
  description: t.description,
  status: t.status,
  priority: t.priority,
  due_date: isoOrNull(t.dueDate),
  reminders: t.reminders as Reminder[],
  version: t.version,
  created_at: iso(t.createdAt),
  updated_at: iso(t.updatedAt),
  completed_at: isoOrNull(t.completedAt),
});

export const PRIORITY_RANK = { low: 1, medium: 2, high: 3, urgent: 4 } as const;
