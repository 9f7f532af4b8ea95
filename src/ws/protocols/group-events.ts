import { GROUP_SOCKET_EVENTS, type GroupSocketEvent } from '../../protocol/messages.js';
import { badRequest } from '../../errors.js';

/** Which opt-in class a frame type belongs to on the group socket. */
type FrameClass = Exclude<GroupSocketEvent, 'all'> | 'always' | 'other' | 'never';

const CLASSES = new Map<string, FrameClass>([
  // What every seed client reads.
  ['message', 'always'],
  ['broadcast', 'always'],
  ['presence.join', 'presence'],
  ['presence.leave', 'presence'],
  ['typing', 'typing'],
  ['task.created', 'tasks'],
  ['task.updated', 'tasks'],
  ['task.deleted', 'tasks'],
  ['task.reminder', 'tasks'],
  ['message.edited', 'changes'],
  ['message.deleted', 'changes'],
  ['reaction.added', 'changes'],
  ['reaction.removed', 'changes'],
  ['message.pinned', 'changes'],
  ['message.unpinned', 'changes'],
  // The contract keeps these to the workspace socket (`/ws`), even with `events=all`.
  ['mention', 'never'],
  ['read', 'never'],
  ['dm.opened', 'never'],
  ['group.added', 'never'],
  ['thread.reply', 'never'],
  // The seed's DM socket's copy of a DM message (the DM's own stream carries the message).
  ['dm.message', 'never'],
]);

/**
 * What one group socket sends, decided by a frame's `type` (carried beside the encoded
 * frame), never by its text. Unknown types pass only with `all`: a seed client that did not
 * ask for them prints "undefined" for every frame it cannot read.
 */
export class GroupSocketFilter {
  private readonly all: boolean;
  constructor(private readonly opted: ReadonlySet<GroupSocketEvent>) {
    this.all = opted.has('all');
  }

  wants(type: string): boolean {
    const c = CLASSES.get(type) ?? 'other';
    if (c === 'always') return true;
    if (c === 'never') return false;
    if (this.all) return true;
    return c !== 'other' && this.opted.has(c);
  }

  /** The names opted in, as the query named them (tests, logs). */
  get names(): GroupSocketEvent[] {
    return [...this.opted];
  }
}

const isEventName = (n: string): n is GroupSocketEvent =>
  (GROUP_SOCKET_EVENTS as readonly string[]).includes(n);

/** Parses `events=`: absent or empty means none; an unknown name is a 400 naming the field. */
export function parseEvents(raw: string | null): GroupSocketFilter {
  const opted = new Set<GroupSocketEvent>();
  if (raw !== null && raw !== '') {
    for (const name of raw.split(',')) {
      const n = name.trim();
      if (!isEventName(n)) {
        throw badRequest(
          `query.events: unknown event ${JSON.stringify(n.slice(0, 32))}; use a comma-separated list of ${GROUP_SOCKET_EVENTS.join(', ')}`,
        );
      }
      opted.add(n);
    }
  }
  return new GroupSocketFilter(opted);
}
