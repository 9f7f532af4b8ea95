import { and, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { tasks } from '../../db/schema.js';
import { badRequest } from '../../errors.js';
import { isInstant } from '../../protocol/common.js';
import { isUuid } from '../../shared/ids.js';
import { rowsOf } from '../../shared/rows.js';
import {
  filterConditions,
  isPlainQuery,
  type ListResult,
  type TaskFilters,
} from './tasks.filters.js';
import { taskColumns, type StoredTask } from './tasks.mapper.js';

/**
 * A search listed by relevance, in bounded tiers.
 *
 * Ranking every match of a common word costs a `ts_rank` per match (16,000 of 100,000 tasks
 * for "deploy": 290 ms), so matches are ranked in tiers instead: the newest `TIER` matches
 * (walked along the `(org_id, created_at, id)` index, or taken from the GIN index when the
 * word is rare) ranked among themselves, then the next `TIER` older ones, and so on. Within a
 * tier the order is relevance, then id; tiers go from new to old. Full-text matches come
 * first (phase 0); for a plain word list, titles that only look like the query (pg_trgm word
 * similarity: a typo) follow in their own tiers (phase 1), so a typo match never outranks an
 * exact one. Every page is one statement, two at a tier boundary.
 *
 * The cursor names its phase, its tier's upper bound `(created_at, id)` and the last row's
 * `(rank, id)`. The bound of the first tier is its newest row at the time of the first page,
 * so tasks created while someone pages are not shuffled in: the listing is stable under
 * concurrent inserts, like every other order.
 */
export const TIER = 500;
/** Statements one page may take (tier boundaries and phase changes); a page is ≤ 200 rows. */
const MAX_STEPS = 8;

type Phase = 0 | 1;
/** Upper bound of a tier: inclusive (`le`, the first tier's newest row) or below an edge (`lt`). */
type Bound = [createdAt: string, id: string, op: 'le' | 'lt'];
export interface Position {
  p: Phase;
  t: Bound | null;
  k: number | null;
  i: string | null;
}

interface Tier {
  /** The page's rows in this tier, in order, with their rank. */
  rows: Array<{ task: StoredTask; rank: number }>;
  /** The tier's size, its newest and its oldest row (the next tier starts below it). */
  n: number;
  head: [string, string] | null;
  edge: [string, string] | null;
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
  const phases: Phase = isPlainQuery(q) ? 1 : 0;
  let pos: Position | null =
    cursorRaw === undefined ? { p: 0, t: null, k: null, i: null } : decode(cursorRaw, phases);
  const out: StoredTask[] = [];
  for (let step = 0; pos && step < MAX_STEPS; step++) {
    const need = limit - out.length;
    const { rows, n, head, edge } = await fetchTier(db, orgId, f, q, pos, need + 1, tier);
    if (rows.length > need) {
      // The page ends inside this tier (or, with need 0, the tier has more: point at it).
      if (need === 0) return { tasks: out, nextCursor: encode(pos) };
      const page = rows.slice(0, need);
      out.push(...page.map((r) => r.task));
      const last = page[page.length - 1]!;
      const bound: Bound = pos.t ?? [...head!, 'le'];
      return {
        tasks: out,
        nextCursor: encode({ p: pos.p, t: bound, k: last.rank, i: last.task.id }),
      };
    }
    out.push(...rows.map((r) => r.task));
    // This tier is exhausted: the next one starts below its oldest row; after a tier that
    // was not full, the phase is over.
    pos =
      n >= tier && edge
        ? { p: pos.p, t: [...edge, 'lt'], k: null, i: null }
        : pos.p < phases
          ? { p: 1, t: null, k: null, i: null }
          : null;
  }
  return { tasks: out, nextCursor: pos ? encode(pos) : null };
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
  const tsq = sql`websearch_to_tsquery('english', ${q})`;
  const match =
    pos.p === 0
      ? sql`${tasks.search} @@ ${tsq}`
      : sql`${tasks.title} %> ${q} and not (${tasks.search} @@ ${tsq})`;
  const rank =
    pos.p === 0
      ? sql`ts_rank(${tasks.search}, ${tsq})::float8`
      : sql`word_similarity(${q}, ${tasks.title})::float8`;
  const conds = [...filterConditions(orgId, f), match];
  if (pos.t) {
    const [ts, id, op] = pos.t;
    const cmp = op === 'le' ? sql`<=` : sql`<`;
    conds.push(sql`(${tasks.createdAt}, ${tasks.id}) ${cmp} (${ts}::timestamptz, ${id}::uuid)`);
  }
  const after =
    pos.k !== null && pos.i !== null
      ? sql`where (rank, id) < (${pos.k}::float8, ${pos.i}::uuid)`
      : sql``;
  const cols = sql.join(
    Object.values(taskColumns).map((c) => sql`${c}`),
    sql`, `,
  );
  // The tier is materialized once; its size and ends are read beside the page.
  return sql`
    with cand as materialized (
      select ${cols}, ${rank} as rank from ${tasks}
      where ${and(...conds)}
      order by ${tasks.createdAt} desc, ${tasks.id} desc
      limit ${tier}
    ), ends as (
      select count(*)::int as n,
        (select array[created_at::text, id::text] from cand order by created_at desc, id desc limit 1) as head,
        (select array[created_at::text, id::text] from cand order by created_at asc, id asc limit 1) as edge
      from cand
    )
    select page.*, ends.n, ends.head, ends.edge
    from ends
    left join lateral (select * from cand ${after} order by rank desc, id desc limit ${take}) page
      on true
    order by page.rank desc, page.id desc`;
}

async function fetchTier(
  db: Db,
  orgId: string,
  f: TaskFilters,
  q: string,
  pos: Position,
  take: number,
  tier: number,
): Promise<Tier> {
  const result = await db.execute(tierQuery(orgId, f, q, pos, take, tier));
  const raws = rowsOf<Record<string, unknown>>(result);
  const meta = raws[0];
  return {
    // An empty page is one row of nulls beside the tier's ends (the left join).
    rows: raws
      .filter((r) => r['id'] !== null && r['id'] !== undefined)
      .map((r) => ({ task: decodeTask(r), rank: Number(r['rank']) })),
    n: Number(meta?.['n'] ?? 0),
    head: pair(meta?.['head']),
    edge: pair(meta?.['edge']),
  };
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

/** `created_at::text` is PostgreSQL's own format; it is normalized so cursors compare exactly. */
function pair(v: unknown): [string, string] | null {
  if (v === null || v === undefined) return null;
  const a = typeof v === 'string' ? parseTextArray(v) : (v as unknown[]);
  return [new Date(String(a[0])).toISOString(), String(a[1])];
}

/** PGlite and pg may hand a text[] back as `{"…","…"}` when its type is not parsed. */
function parseTextArray(s: string): string[] {
  return s
    .replace(/^\{|\}$/g, '')
    .split(',')
    .map((x) => x.replace(/^"|"$/g, ''));
}

const encode = (p: Position) =>
  Buffer.from(JSON.stringify({ s: 'relevance', ...p })).toString('base64url');

const isCursorInstant = (v: unknown): v is string =>
  typeof v === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) &&
  // In the calendar and in range (year 0000 passed Date.parse and failed in PostgreSQL).
  isInstant(v);

/** A cursor is only ever one we made for a relevance listing; anything else is a 400. */
function decode(raw: string, phases: Phase): Position {
  const bad = () => badRequest('query.cursor is not a cursor of this listing');
  let c: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw bad();
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof c !== 'object' || c === null) throw bad();
  const { s, p, t, k, i } = c as Record<string, unknown>;
  if (s !== 'relevance' || (p !== 0 && p !== 1) || p > phases) throw bad();
  const tOk =
    t === null ||
    (Array.isArray(t) &&
      t.length === 3 &&
      isCursorInstant(t[0]) &&
      isUuid(t[1]) &&
      (t[2] === 'le' || t[2] === 'lt'));
  const kOk =
    (k === null && i === null) || (typeof k === 'number' && Number.isFinite(k) && isUuid(i));
  if (!tOk || !kOk || (k !== null && t === null)) throw bad();
  return { p, t: t as Bound | null, k: k as number | null, i: i === null ? null : String(i) };
}
