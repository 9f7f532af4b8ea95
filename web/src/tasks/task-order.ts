import type { Task, TaskListFilters, TaskPriority, TaskSort, TaskStatus } from '@orghub/sdk';

export const STATUSES: TaskStatus[] = ['pending', 'in_progress', 'completed', 'cancelled'];
export const PRIORITIES: TaskPriority[] = ['low', 'medium', 'high', 'urgent'];
export const SORTS: TaskSort[] = [
  '-created_at',
  'created_at',
  'due_date',
  '-due_date',
  '-priority',
  'priority',
  '-updated_at',
  'updated_at',
];
export const label = (s: string) => s.replace('_', ' ');

const OPEN: TaskStatus[] = ['pending', 'in_progress'];

/**
 * Whether a task pushed live belongs in the list the filters asked the server for. Full-text
 * search (`q`) is the server's to judge, so a live event with `q` set triggers a reload instead.
 */
export function matches(t: Task, f: TaskListFilters, now = Date.now()): boolean {
  if (f.status && !f.status.includes(t.status)) return false;
  if (f.priority && !f.priority.includes(t.priority)) return false;
  if (f.user_id && t.user_id !== f.user_id) return false;
  if (f.created_by && t.created_by !== f.created_by) return false;
  const due = t.due_date ? Date.parse(t.due_date) : null;
  if ((f.due_before || f.due_after || f.overdue) && due === null) return false;
  if (f.due_before && due !== null && due >= Date.parse(f.due_before)) return false;
  if (f.due_after && due !== null && due < Date.parse(f.due_after)) return false;
  if (f.overdue && (due === null || due >= now || !OPEN.includes(t.status))) return false;
  return true;
}

const rank = (p: TaskPriority) => PRIORITIES.indexOf(p);
/** No due date sorts as the largest, as in PostgreSQL: last ascending, first descending. */
const dueKey = (t: Task) => (t.due_date ? Date.parse(t.due_date) : Infinity);

/** The server's order for `sort`, so a task pushed live lands where a reload would put it. */
export function sortTasks(tasks: Task[], sort: TaskSort = '-created_at'): Task[] {
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const value = (t: Task): number =>
    key === 'priority'
      ? rank(t.priority)
      : key === 'due_date'
        ? dueKey(t)
        : Date.parse(key === 'updated_at' ? t.updated_at : t.created_at);
  return [...tasks].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const d = va === vb ? a.id.localeCompare(b.id) : va < vb ? -1 : 1;
    return desc ? -d : d;
  });
}
