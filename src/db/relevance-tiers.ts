import { and, sql, type SQL } from 'drizzle-orm';
import { isInstant } from '../protocol/common.js';
import { badCursor, decodeOpaque, encodeOpaque } from '../shared/cursor.js';
import { isUuid } from '../shared/ids.js';
import { rowsOf } from '../shared/rows.js';
import type { Db } from './database.js';

/**
 * A search listed by relevance, in bounded tiers: for tasks and for messages alike.
 *
 * Ranking every match of a common word costs a rank per match (16,000 of 100,000 tasks for
 * "deploy": 290 ms), so matches are ranked in tiers instead: the newest `TIER` matches (walked
 * along a `(…, created_at, id)` index, or taken from the GIN index when the word is rare)
 * ranked among themselves, then the next `TIER` older ones, and so on. Within a tier the order
 * is relevance, then newest first (created_at, then id); tiers go from new to old. Full-text matches come first (phase 0); a
 * source may add a phase 1 (tasks: titles that only look like the query, a typo) in its own
 * tiers, so a typo match never outranks an exact one. Every page is one statement, two at a
 * tier boundary.
 *
 * The cursor names its phase, its tier's upper bound `(created_at, id)` and the last row's
 * `(rank, created_at, id)`. The bound of the first tier is its newest row at the time of the first page,
 * so rows created while someone pages are not shuffled in: the listing is stable under
 * concurrent inserts, like every other order.
 */
export const TIER = 500;
/** Statements one page may take (tier boundaries and phase changes); a page is ≤ 200 rows. */
const MAX_STEPS = 8;

export type Phase = 0 | 1;
/** Upper bound of a tier: inclusive (`le`, the first tier's newest row) or below an edge (`lt`). */
type Bound = [createdAt: string, id: string, op: 'le' | 'lt'];
/** Phase, tier bound, and the last row's rank, created_at and id (null on a tier's first page). */
export interface Position {
  p: Phase;
  t: Bound | null;
  k: number | null;
  c: string | null;
  i: string | null;
}
export const FIRST: Position = { p: 0, t: null, k: null, c: null, i: null };

/** What is searched: one table's rows of one tenant, matched and ranked per phase. */
export interface TierSource<T> {
  /** The cursor's label: a cursor of another listing is refused. */
  readonly label: string;
  /** The last phase (0: full text only). */
  readonly phases: Phase;
  readonly table: SQL;
  readonly createdAt: SQL;
  readonly id: SQL;
  /** The select list of a row (decoded by `decode`). */
  readonly columns: SQL;
  /** Tenant scoping and filters, ANDed with the phase's match. */
  readonly conds: ReadonlyArray<SQL | undefined>;
  match(p: Phase): SQL;
  rank(p: Phase): SQL;
  /** Extra columns computed for the page's rows only (`page.<column>` in scope). */
  readonly pageExtra?: SQL;
  decode(raw: Record<string, unknown>): T;
}

export interface TierPage<T> {
  rows: T[];
  nextCursor: string | null;
}

interface Tier<T> {
  /** The page's rows in this tier, in order, with their rank. */
  rows: Array<{ row: T; rank: number; createdAt: string; id: string }>;
  /** The tier's size, its newest and its oldest row (the next tier starts below it). */
  n: number;
  head: [string, string] | null;
  edge: [string, string] | null;
}

export async function listByTiers<T>(
  db: Db,
  src: TierSource<T>,
  limit: number,
  cursorRaw: string | undefined,
  tier = TIER,
): Promise<TierPage<T>> {
  let pos: Position | null = cursorRaw === undefined ? FIRST : decodeCursor(src, cursorRaw);
  const out: T[] = [];
  const encode = (p: Position) => encodeCursor(src, p);
  for (let step = 0; pos && step < MAX_STEPS; step++) {
    const need = limit - out.length;
    const { rows, n, head, edge }: Tier<T> = await fetchTier(db, src, pos, need + 1, tier);
    if (rows.length > need) {
      // The page ends inside this tier (or, with need 0, the tier has more: point at it).
      if (need === 0) return { rows: out, nextCursor: encode(pos) };
      const page = rows.slice(0, need);
      out.push(...page.map((r) => r.row));
      const last = page[page.length - 1]!;
      const bound: Bound = pos.t ?? [...head!, 'le'];
      const next: Position = { p: pos.p, t: bound, k: last.rank, c: last.createdAt, i: last.id };
      return { rows: out, nextCursor: encode(next) };
    }
    out.push(...rows.map((r) => r.row));
    // This tier is exhausted: the next one starts below its oldest row; after a tier that
    // was not full, the phase is over.
    pos =
      n >= tier && edge
        ? { p: pos.p, t: [...edge, 'lt'], k: null, c: null, i: null }
        : pos.p < src.phases
          ? { p: 1, t: null, k: null, c: null, i: null }
          : null;
  }
  return { rows: out, nextCursor: pos ? encode(pos) : null };
}

/** The statement of one page within one tier (also for EXPLAIN). */
export function tierStatement<T>(
  src: TierSource<T>,
  pos: Position,
  take: number,
  tier = TIER,
): SQL {
  const conds = [...src.conds, src.match(pos.p)];
  if (pos.t) {
    const [ts, id, op] = pos.t;
    const cmp = op === 'le' ? sql`<=` : sql`<`;
    conds.push(sql`(${src.createdAt}, ${src.id}) ${cmp} (${ts}::timestamptz, ${id}::uuid)`);
  }
  const after =
    pos.k !== null && pos.c !== null && pos.i !== null
      ? sql`where (rank, created_at, id) < (${pos.k}::float8, ${pos.c}::timestamptz, ${pos.i}::uuid)`
      : sql``;
  const extra = src.pageExtra ? sql`, ${src.pageExtra}` : sql``;
  // The tier is materialized once; its size and ends are read beside the page.
  return sql`
    with cand as materialized (
      select ${src.columns}, ${src.rank(pos.p)} as rank from ${src.table}
      where ${and(...conds)}
      order by ${src.createdAt} desc, ${src.id} desc
      limit ${tier}
    ), ends as (
      select count(*)::int as n,
        (select array[created_at::text, id::text] from cand order by created_at desc, id desc limit 1) as head,
        (select array[created_at::text, id::text] from cand order by created_at asc, id asc limit 1) as edge
      from cand
    )
    select page.*, ends.n, ends.head, ends.edge ${extra}
    from ends
    left join lateral (
      select * from cand ${after} order by rank desc, created_at desc, id desc limit ${take}
    ) page on true
    order by page.rank desc, page.created_at desc, page.id desc`;
}

async function fetchTier<T>(
  db: Db,
  src: TierSource<T>,
  pos: Position,
  take: number,
  tier: number,
): Promise<Tier<T>> {
  const raws = rowsOf<Record<string, unknown>>(
    await db.execute(tierStatement(src, pos, take, tier)),
  );
  const meta = raws[0];
  return {
    // An empty page is one row of nulls beside the tier's ends (the left join).
    rows: raws
      .filter((r) => r['id'] !== null && r['id'] !== undefined)
      .map((r) => ({
        row: src.decode(r),
        rank: Number(r['rank']),
        createdAt: instantOf(r['created_at']),
        id: String(r['id']),
      })),
    n: Number(meta?.['n'] ?? 0),
    head: pair(meta?.['head']),
    edge: pair(meta?.['edge']),
  };
}

/**
 * `created_at::text` is PostgreSQL's own format (and a driver may hand a Date); it is
 * normalized so cursors compare exactly. The columns are timestamptz(3): nothing is lost.
 */
const instantOf = (v: unknown) => (v instanceof Date ? v : new Date(String(v))).toISOString();

function pair(v: unknown): [string, string] | null {
  if (v === null || v === undefined) return null;
  const a = typeof v === 'string' ? parseTextArray(v) : (v as unknown[]);
  return [instantOf(a[0]), String(a[1])];
}

/** PGlite and pg may hand a text[] back as `{"…","…"}` when its type is not parsed. */
function parseTextArray(s: string): string[] {
  return s
    .replace(/^\{|\}$/g, '')
    .split(',')
    .map((x) => x.replace(/^"|"$/g, ''));
}

const encodeCursor = (src: { label: string }, p: Position) => encodeOpaque({ s: src.label, ...p });

const isCursorInstant = (v: unknown): v is string =>
  typeof v === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) &&
  // In the calendar and in range (year 0000 passed Date.parse and failed in PostgreSQL).
  isInstant(v);

/** A cursor is only ever one we made for this listing; anything else is a 400. */
export function decodeCursor(src: { label: string; phases: Phase }, raw: string): Position {
  const bad = badCursor;
  const { s, p, t, k, c: at, i } = decodeOpaque(raw);
  if (s !== src.label || (p !== 0 && p !== 1) || p > src.phases) throw bad();
  const tOk =
    t === null ||
    (Array.isArray(t) &&
      t.length === 3 &&
      isCursorInstant(t[0]) &&
      isUuid(t[1]) &&
      (t[2] === 'le' || t[2] === 'lt'));
  const kOk =
    (k === null && at === null && i === null) ||
    (typeof k === 'number' && Number.isFinite(k) && isCursorInstant(at) && isUuid(i));
  if (!tOk || !kOk || (k !== null && t === null)) throw bad();
  return {
    p,
    t: t as Bound | null,
    k: k as number | null,
    c: at === null ? null : String(at),
    i: i === null ? null : String(i),
  };
}
