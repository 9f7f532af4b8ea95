import type { Dm, Group } from '@orghub/sdk';

/** A group or a DM as the sidebar shows it; both are "groups" to the socket. */
export interface Conversation {
  id: string;
  kind: 'group' | 'dm';
  /** The group's name, or the other user's username for a DM. */
  name: string;
  private: boolean;
  /** For a DM: the other user. */
  userId?: string;
  lastSeq: number;
  lastReadSeq: number;
}

export const unread = (c: Conversation) => Math.max(0, c.lastSeq - c.lastReadSeq);

/** The group's seqs are optional in the SDK type (only the group list has them): 0 if absent. */
function counts(g: Group): { lastSeq: number; lastReadSeq: number } {
  const lastSeq = g.last_seq ?? 0;
  return { lastSeq, lastReadSeq: g.last_read_seq ?? Math.max(0, lastSeq - (g.unread_count ?? 0)) };
}

export const fromGroup = (g: Group): Conversation => ({
  id: g.id,
  kind: 'group',
  name: g.name,
  private: g.private,
  ...counts(g),
});

export const fromDm = (d: Dm): Conversation => ({
  id: d.id,
  kind: 'dm',
  name: d.other_user.username,
  private: true,
  userId: d.other_user.id,
  lastSeq: d.last_seq,
  lastReadSeq: d.last_read_seq,
});

/**
 * A fresh listing merged into what the socket already told us: seqs only move forward, so a
 * listing that raced a live message or a `read` event never takes a count back. A conversation
 * missing from the listing is dropped only if the previous listing had it (it went away); one
 * opened since then (a DM just started) was simply not there yet when this listing was read.
 */
export function mergeListing(
  cur: ReadonlyMap<string, Conversation>,
  listed: Conversation[],
  previous: ReadonlySet<string>,
): Map<string, Conversation> {
  const next = new Map<string, Conversation>();
  for (const c of listed) {
    const old = cur.get(c.id);
    next.set(
      c.id,
      old
        ? {
            ...c,
            lastSeq: Math.max(old.lastSeq, c.lastSeq),
            lastReadSeq: Math.max(old.lastReadSeq, c.lastReadSeq),
          }
        : c,
    );
  }
  for (const [id, c] of cur) if (!next.has(id) && !previous.has(id)) next.set(id, c);
  return next;
}

/** Groups by name, DMs by the other user's name. */
export function sorted(all: Iterable<Conversation>, kind: Conversation['kind']): Conversation[] {
  return [...all].filter((c) => c.kind === kind).sort((a, b) => a.name.localeCompare(b.name));
}
