import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import {
  listByTiers,
  tierStatement,
  TIER,
  type Phase,
  type Position,
  type TierSource,
} from '../../db/relevance-tiers.js';
import { tasks } from '../../db/schema.js';
import {
  filterConditions,
  isPlainQuery,
  type ListResult,
  type TaskFilters,
} from './tasks.filters.js';
import { taskColumns, type StoredTask } from './tasks.mapper.js';

export { TIER, type Position };

/**
 * A task search listed by relevance, in the bounded tiers of db/relevance-tiers.ts: tasks
 * whose title or description matches the full-text query first (phase 0, `ts_rank`); for a
 * plain word list, titles that only look like the query (pg_trgm word similarity: a typo)
 * follow in their own tiers (phase 1).
 */
function taskSource(orgId: string, f: TaskFilters, q: string): TierSource<StoredTask> {
  const tsq = sql`websearch_to_tsquery('english', ${q})`;
  return {
    label: 'relevance',
    phases: isPlainQuery(q) ? 1 : 0,
    table: sql`${tasks}`,
    createdAt: sql`${tasks.createdAt}`,
    id: sql`${tasks.id}`,
    columns: sql.join(
      Object.values(taskColumns).map((c) => sql`${c}`),
      sql`, `,
    ),
    conds: filterConditions(orgId, f),
    match: (p: Phase): SQL =>
      p === 0
        ? sql`${tasks.search} @@ ${tsq}`
        : sql`${tasks.title} %> ${q} and not (${tasks.search} @@ ${tsq})`,
    rank: (p: Phase): SQL =>
      p === 0
        ? sql`ts_rank(${tasks.search}, ${tsq})::float8`
        : sql`word_similarity(${q}, ${tasks.title})::float8`,
    decode: decodeTask,
  };
}

export async function listByRelevance(
  db: Db,
  orgId: string,
  f: TaskFilters,
  q: string,
  limit: number,
  cursorRaw: string | undefined,
  tier = TIER,
): Promise<ListResult> {
  const page = await listByTiers(db, taskSource(orgId, f, q), limit, cursorRaw, tier);
  return { tasks: page.rows, nextCursor: page.nextCursor };
}

/** The statement of one page within one tier (also for EXPLAIN). */
export function tierQuery(
  orgId: string,
  f: TaskFilters,
  q: string,
  pos: Position,
  take: number,
  tier = TIER,
): SQL {
  return tierStatement(taskSource(orgId, f, q), pos, take, tier);
}

/** A task row as the driver returned it (snake_case names), through each column's own decoder. */
function decodeTask(raw: Record<string, unknown>): StoredTask {
  const out: Record<string, unknown> = {};
  for (const [key, col] of Object.entries(taskColumns)) {
    const v = raw[col.name];
    out[key] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
  }
  return out as StoredTask;
}
