import { and, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { tasks } from '../../db/schema.js';
import type { TaskSort } from '../../protocol/tasks.js';
import { isInstant } from '../../protocol/common.js';
import { badCursor, decodeOpaque, encodeOpaque } from '../../shared/cursor.js';
import { isUuid } from '../../shared/ids.js';
import { taskColumns, type StoredTask } from './tasks.mapper.js';
import {
  filterConditions,
  searchMatch,
  type ListResult,
  type TaskFilters,
} from './tasks.filters.js';
import { listByRelevance } from './tasks.relevance.js';

export type { ListResult, TaskFilters } from './tasks.filters.js';

/**
 * The org task list: every filter, the sort and the keyset position are compiled into one
 * SQL statement. Each sort walks one of the `(org_id, key, id)` indexes; a search filters by
 * the GIN indexes (tsvector, and pg_trgm on the title).
 */

type Key = string | number | null;
interface Cursor {
  s: TaskSort;
  k: Key;
  i: string;
}

export const encodeCursor = (c: Cursor): string => encodeOpaque(c);

/** A cursor is only ever one we made for this order; anything else is a 400 naming it. */
export function decodeCursor(raw: string, order: TaskSort): Cursor {
  const bad = badCursor;
  const { s, k, i } = decodeOpaque(raw);
  if (s !== order || !isUuid(i)) throw bad();
  const field = order.replace(/^-/, '');
  const ok =
    field === 'priority'
      ? Number.isInteger(k) && (k as number) >= 1 && (k as number) <= 4
      : field === 'due_date'
        ? k === null || isIsoInstant(k)
        : isIsoInstant(k);
  if (!ok) throw bad();
  return { s: order, k: k as Key, i: i.toLowerCase() };
}

const isIsoInstant = (k: unknown): k is string =>
  typeof k === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(k) &&
  // In the calendar and in range (year 0000 passed Date.parse and failed in PostgreSQL).
  isInstant(k);

export async function listOrgTasks(
  db: Db,
  orgId: string,
  f: TaskFilters,
  sort: TaskSort | undefined,
  limit: number,
  cursorRaw: string | undefined,
): Promise<ListResult> {
  const q = f.q?.trim();
  // Relevance over a common word would rank every match; it ranks bounded tiers instead.
  if (q && sort === undefined) return listByRelevance(db, orgId, f, q, limit, cursorRaw);
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

/**
 * The one statement of a listing in a keyed order (fetching one row more than a page), also
 * for EXPLAIN. A search without a sort is listed by relevance (tasks.relevance.ts).
 */
export function orgTasksQuery(
  db: Db,
  orgId: string,
  f: TaskFilters,
  sort: TaskSort | undefined,
  limit: number,
  cursorRaw: string | undefined,
) {
  const q = f.q?.trim() ? f.q.trim() : undefined;
  const order: TaskSort = sort ?? '-created_at';
  const cursor = cursorRaw === undefined ? undefined : decodeCursor(cursorRaw, order);

  const conds = filterConditions(orgId, f);

  if (q) conds.push(searchMatch(q));

  const desc = order.startsWith('-');
  const field = order.replace(/^-/, '');
  const key: SQL =
    field === 'priority'
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
  const k = field === 'priority' ? sql`${c.k}::int` : sql`${c.k}::timestamptz`;
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
