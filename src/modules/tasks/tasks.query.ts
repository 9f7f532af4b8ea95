import { and, eq, inArray, lt, gte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { tasks } from '../../db/schema.js';
import { badRequest } from '../../errors.js';
import type { TaskPriority, TaskSort, TaskStatus } from '../../protocol/tasks.js';
import { isUuid } from '../../shared/ids.js';
import { taskColumns, type StoredTask } from './tasks.mapper.js';

/**
 * The org task list: every filter, the sort and the keyset position are compiled into one
 * SQL statement. Each sort walks one of the `(org_id, key, id)` indexes; a search walks the
 * GIN indexes (tsvector, and pg_trgm on the title) and sorts the matches by relevance.
 */
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

export type ListOrder = TaskSort | 'relevance';
type Key = string | number | null;
interface Cursor {
  s: ListOrder;
  k: Key;
  i: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/** A cursor is only ever one we made for this order; anything else is a 400 naming it. */
export function decodeCursor(raw: string, order: ListOrder): Cursor {
  const bad = () => badRequest('query.cursor is not a cursor of this listing');
  let c: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw bad();
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof c !== 'object' || c === null) throw bad();
  const { s, k, i } = c as Record<string, unknown>;
  if (s !== order || !isUuid(i)) throw bad();
  const field = order.replace(/^-/, '');
  const ok =
    field === 'priority'
      ? Number.isInteger(k) && (k as number) >= 1 && (k as number) <= 4
      : field === 'relevance'
        ? typeof k === 'number' && Number.isFinite(k)
        : field === 'due_date'
          ? k === null || isIsoInstant(k)
          : isIsoInstant(k);
  if (!ok) throw bad();
  return { s: order, k: k as Key, i: i.toLowerCase() };
}

const isIsoInstant = (k: unknown): k is string =>
  typeof k === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(k) &&
  !Number.isNaN(Date.parse(k));

/** Typo tolerance applies to plain word lists only: operators keep their exact meaning. */
const isPlainQuery = (q: string) => !/["-]|\bor\b/i.test(q) && /\p{L}{3,}/u.test(q);

export interface ListResult {
  tasks: StoredTask[];
  nextCursor: string | null;
}

export async function listOrgTasks(
  db: Db,
  orgId: string,
  f: TaskFilters,
  sort: TaskSort | undefined,
  limit: number,
  cursorRaw: string | undefined,
): Promise<ListResult> {
  const { query, order, field } = orgTasksQuery(db, orgId, f, sort, limit, cursorRaw);
  const rows = await query;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > limit && last
      ? encodeCursor({ s: order, k: cursorKey(field, last), i: last.id })
      : null;
  return { tasks: page.map(({ sortKey: _k, ...t }) => t), nextCursor };
}

/** The one statement of a listing (fetching one row more than a page), also for EXPLAIN. */
export function orgTasksQuery(
  db: Db,
  orgId: string,
  f: TaskFilters,
  sort: TaskSort | undefined,
  limit: number,
  cursorRaw: string | undefined,
) {
  const q = f.q?.trim() ? f.q.trim() : undefined;
  const order: ListOrder = sort ?? (q ? 'relevance' : '-created_at');
  const cursor = cursorRaw === undefined ? undefined : decodeCursor(cursorRaw, order);

  const conds: Array<SQL | undefined> = [eq(tasks.orgId, orgId)];
  if (f.statuses?.length) conds.push(inArray(tasks.status, f.statuses));
  if (f.priorities?.length) conds.push(inArray(tasks.priority, f.priorities));
  if (f.userId) conds.push(eq(tasks.userId, f.userId));
  if (f.createdBy) conds.push(eq(tasks.createdBy, f.createdBy));
  if (f.dueBefore) conds.push(lt(tasks.dueDate, f.dueBefore));
  if (f.dueAfter) conds.push(gte(tasks.dueDate, f.dueAfter));
  if (f.overdue)
    conds.push(sql`${tasks.dueDate} < now()`, inArray(tasks.status, ['pending', 'in_progress']));

  let rank: SQL<number> | undefined;
  if (q) {
    const tsq = sql`websearch_to_tsquery('english', ${q})`;
    if (isPlainQuery(q)) {
      // A full-text match always ranks above a title that only looks like the query
      // (word_similarity ≤ 1 < 1 + ts_rank), so typo matches trail the exact ones.
      conds.push(sql`(${tasks.search} @@ ${tsq} or ${tasks.title} %> ${q})`);
      rank = sql<number>`(case when ${tasks.search} @@ ${tsq} then 1 + ts_rank(${tasks.search}, ${tsq}) else word_similarity(${q}, ${tasks.title}) end)::float8`;
    } else {
      conds.push(sql`${tasks.search} @@ ${tsq}`);
      rank = sql<number>`(1 + ts_rank(${tasks.search}, ${tsq}))::float8`;
    }
  }

  const desc = order === 'relevance' || order.startsWith('-');
  const field = order.replace(/^-/, '');
  const key: SQL =
    field === 'relevance'
      ? rank!
      : field === 'priority'
        ? sql`${tasks.priorityRank}`
        : field === 'due_date'
          ? sql`${tasks.dueDate}`
          : field === 'updated_at'
            ? sql`${tasks.updatedAt}`
            : sql`${tasks.createdAt}`;
  const dir = desc ? sql`desc` : sql`asc`;

  if (cursor) conds.push(afterCursor(key, field, desc, cursor));

  const query = db
    .select({ ...taskColumns, sortKey: sql<unknown>`${key}`.as('sort_key') })
    .from(tasks)
    .where(and(...conds))
    // Ascending puts NULL due dates last and descending first, as PostgreSQL's index order.
    .orderBy(sql`${key} ${dir}`, sql`${tasks.id} ${dir}`)
    .limit(limit + 1);
  return { query, order, field };
}

/** The sort key of a row, from its mapped columns (exact to the millisecond). */
function cursorKey(field: string, row: StoredTask & { sortKey: unknown }): Key {
  switch (field) {
    case 'relevance':
      return Number(row.sortKey);
    case 'priority':
      return row.priorityRank;
    case 'due_date':
      return row.dueDate ? row.dueDate.toISOString() : null;
    case 'updated_at':
      return row.updatedAt.toISOString();
    default:
      return row.createdAt.toISOString();
  }
}

/** Rows strictly after the cursor in this order (NULL due dates: last ascending, first descending). */
function afterCursor(key: SQL, field: string, desc: boolean, c: Cursor): SQL {
  const id = c.i;
  const k =
    field === 'priority'
      ? sql`${c.k}::int`
      : field === 'relevance'
        ? sql`${c.k}::float8`
        : sql`${c.k}::timestamptz`;
  const cmp = desc ? sql`<` : sql`>`;
  if (field !== 'due_date') return sql`(${key}, ${tasks.id}) ${cmp} (${k}, ${id}::uuid)`;
  if (c.k === null)
    return desc
      ? sql`((${key} is null and ${tasks.id} < ${id}::uuid) or ${key} is not null)`
      : sql`(${key} is null and ${tasks.id} > ${id}::uuid)`;
  return desc
    ? sql`(${key}, ${tasks.id}) < (${k}, ${id}::uuid)`
    : sql`((${key}, ${tasks.id}) > (${k}, ${id}::uuid) or ${key} is null)`;
}
