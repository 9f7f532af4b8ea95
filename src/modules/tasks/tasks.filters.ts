import { eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { tasks } from '../../db/schema.js';
import type { TaskPriority, TaskStatus } from '../../protocol/tasks.js';
import type { StoredTask } from './tasks.mapper.js';

/** What an org task listing may be narrowed by (all optional, combined with AND). */
export interface TaskFilters {
  statuses?: TaskStatus[];
  priorities?: TaskPriority[];
  userId?: string;
  createdBy?: string;
  dueBefore?: Date;
  dueAfter?: Date;
  overdue?: boolean;
  q?: string;
}

/** The filters of a listing (everything but `q`, the sort and the cursor), as SQL conditions. */
export function filterConditions(orgId: string, f: TaskFilters): Array<SQL | undefined> {
  const conds: Array<SQL | undefined> = [eq(tasks.orgId, orgId)];
  if (f.statuses?.length) conds.push(inArray(tasks.status, f.statuses));
  if (f.priorities?.length) conds.push(inArray(tasks.priority, f.priorities));
  if (f.userId) conds.push(eq(tasks.userId, f.userId));
  if (f.createdBy) conds.push(eq(tasks.createdBy, f.createdBy));
  if (f.dueBefore) conds.push(lt(tasks.dueDate, f.dueBefore));
  if (f.dueAfter) conds.push(gte(tasks.dueDate, f.dueAfter));
  if (f.overdue)
    conds.push(sql`${tasks.dueDate} < now()`, inArray(tasks.status, ['pending', 'in_progress']));

  return conds;
}

/** Typo tolerance applies to plain word lists only: operators keep their exact meaning. */
export const isPlainQuery = (q: string) => !/["-]|\bor\b/i.test(q) && /\p{L}{3,}/u.test(q);

export interface ListResult {
  tasks: StoredTask[];
  nextCursor: string | null;
}

/**
 * A search's match: the full-text query (web-search syntax), and for a plain word list also a
 * title that only looks like it (pg_trgm word similarity: typo tolerance).
 */
export function searchMatch(q: string): SQL {
  const tsq = sql`websearch_to_tsquery('english', ${q})`;
  return isPlainQuery(q)
    ? sql`(${tasks.search} @@ ${tsq} or ${tasks.title} %> ${q})`
    : sql`${tasks.search} @@ ${tsq}`;
}
