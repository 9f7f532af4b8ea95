import { gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import {
  listByTiers,
  tierStatement,
  type Position,
  type TierSource,
} from '../../db/relevance-tiers.js';
import { messages } from '../../db/schema.js';
import type { Message } from '../../protocol/messages.js';
import { toMessage } from './messages.mapper.js';
import { fromRaw, type RawMessage } from './messages.repo.js';

/** One search hit: the message in its current state, with its matches marked. */
export type MessageHit = Message & { kind: 'message'; highlight: string };

export interface MessageSearch {
  orgId: string;
  /** The groups and DMs searched: only ones the caller may read (the service decides). */
  groupIds: readonly string[];
  q: string;
  userId?: string | undefined;
  createdBefore?: Date | undefined;
  createdAfter?: Date | undefined;
  /** Retention: older messages are never found. */
  notBefore: Date;
}

// Marks ts_headline puts around a match; they are taken out of the content first, so every
// one in the output is ours, and the rest is HTML-escaped before they become <mark>.
const OPEN = '\u0002';
const CLOSE = '\u0003';

/**
 * Search over history in the relevance tiers of db/relevance-tiers.ts: full-text matches of
 * the web-search query (the GIN index `messages_search_idx` over the stored `search`), newest tiers of the
 * org first (`messages_org_created_idx`), ranked by `ts_rank` within a tier, newest first on
 * ties. The highlight is computed for the page's rows only.
 */
function messageSource(s: MessageSearch): TierSource<MessageHit> {
  // The stored tsvector (drizzle/0006), not a schema column: see src/db/schema.ts.
  const doc = sql.raw('search');
  const tsq = sql`websearch_to_tsquery('english', ${s.q})`;
  const cols = [
    'id',
    'org_id',
    'group_id',
    'seq',
    'user_id',
    'username',
    'client_id',
    'client_msg_id',
    'content',
    'created_at',
  ];
  return {
    label: 'messages',
    phases: 0,
    table: sql`${messages}`,
    createdAt: sql`${messages.createdAt}`,
    id: sql`${messages.id}`,
    columns: sql.raw(cols.join(', ')),
    conds: [
      sql`${messages.orgId} = ${s.orgId}`,
      inArray(messages.groupId, [...s.groupIds]),
      gt(messages.createdAt, s.notBefore),
      s.userId !== undefined ? sql`${messages.userId} = ${s.userId}::uuid` : undefined,
      s.createdBefore ? lt(messages.createdAt, s.createdBefore) : undefined,
      s.createdAfter ? gt(messages.createdAt, s.createdAfter) : undefined,
    ],
    match: () => sql`${doc} @@ ${tsq}`,
    rank: () => sql`ts_rank(${doc}, ${tsq})::float8`,
    pageExtra: sql`ts_headline('english', translate(page.content, ${OPEN + CLOSE}, ''), ${tsq},
      ${`StartSel=${OPEN}, StopSel=${CLOSE}, MaxWords=50, MinWords=20`}) as highlight`,
    decode: (raw) => ({
      ...toMessage(fromRaw(raw as RawMessage)),
      kind: 'message',
      highlight: markup(String(raw['highlight'] ?? '')),
    }),
  };
}

export async function searchMessages(
  db: Db,
  s: MessageSearch,
  limit: number,
  cursor: string | undefined,
): Promise<{ messages: MessageHit[]; nextCursor: string | null }> {
  const page = await listByTiers(db, messageSource(s), limit, cursor);
  return { messages: page.rows, nextCursor: page.nextCursor };
}

/** The statement of one page within one tier (for EXPLAIN tests). */
export function searchStatement(s: MessageSearch, pos: Position, take: number): SQL {
  return tierStatement(messageSource(s), pos, take);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** The highlight as HTML: everything escaped, the matches in <mark>. */
function markup(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    .replaceAll(OPEN, '<mark>')
    .replaceAll(CLOSE, '</mark>');
}
