import type { TypingEvent } from '../protocol/workspace.js';
import { channels } from '../realtime/channels.js';
import type { Hub } from '../realtime/hub.js';
import type { WorkspaceConnection } from './workspace-connection.js';

/** A typing indicator lapses this long after the last `typing` frame. */
export const TYPING_TTL_MS = 5000;
/** At most one `typing` event per socket and group in this window; more only refresh it. */
export const TYPING_MIN_INTERVAL_MS = 1000;

interface Active {
  sentAt: number;
  timer: NodeJS.Timeout;
}

/**
 * A socket's typing indicators, one per group. Never stored: each is an event on the group
 * channel (every node's sockets of the group) and a timer here that sends `stopped: true`
 * once the client stops refreshing it, or when the socket leaves the group or closes.
 */
export class TypingState {
  private readonly active = new Map<string, Active>();

  constructor(
    private readonly conn: WorkspaceConnection,
    private readonly hub: Hub,
  ) {}

  onTyping(req: string, groupId: string): void {
    if (!this.conn.lanes.has(groupId)) {
      return this.conn.error(
        req,
        'not_found',
        'subscribe to the group before typing in it',
        groupId,
      );
    }
    const now = performance.now();
    const cur = this.active.get(groupId);
    if (cur) clearTimeout(cur.timer);
    const timer = setTimeout(() => this.stop(groupId), TYPING_TTL_MS);
    timer.unref();
    // Within the window the indicator is only kept alive: rate-limited without an error,
    // since a client typing fast has done nothing wrong.
    if (cur && now - cur.sentAt < TYPING_MIN_INTERVAL_MS) {
      cur.timer = timer;
      return;
    }
    this.active.set(groupId, { sentAt: now, timer });
    this.announce(groupId, false);
  }

  /** Ends the indicator on a group (lapsed, unsubscribed, closed). */
  stop(groupId: string): void {
    const cur = this.active.get(groupId);
    if (!cur) return;
    clearTimeout(cur.timer);
    this.active.delete(groupId);
    this.announce(groupId, true);
  }

  clear(): void {
    for (const g of [...this.active.keys()]) this.stop(g);
  }

  private announce(groupId: string, stopped: boolean) {
    const { orgId, id, username } = this.conn.user;
    const event: TypingEvent = {
      type: 'typing',
      group_id: groupId,
      user_id: id,
      username,
      ...(stopped && { stopped: true as const }),
    };
    this.hub.publish(channels.group(orgId, groupId), event.type, JSON.stringify(event));
  }
}
