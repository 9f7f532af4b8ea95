import { randomUUID } from 'node:crypto';
import type { PresenceEvent } from '../protocol/presence.js';
import { channels } from './channels.js';
import type { Hub } from './hub.js';
import type { Presence } from './presence.js';

/** A user's socket on a group, as the gateway knows it. */
export interface PresenceSocket {
  connId: string;
  orgId: string;
  groupId: string;
  userId: string;
  username: string;
}

/**
 * What the gateway calls as group sockets of users open and close. It records presence and,
 * on a user's first connection to the group (over devices and nodes) or their last, sends
 * `presence.join` / `presence.leave` to the group's sockets on every node. Never throws and
 * never blocks the socket: presence is best-effort, the socket works without it.
 */
export interface PresenceTracker {
  connected(s: PresenceSocket): void;
  disconnected(s: PresenceSocket): void;
}

export function createPresenceTracker(
  presence: Presence,
  hub: Hub,
  onError: (err: unknown) => void = () => {},
): PresenceTracker {
  const announce = (type: PresenceEvent['type'], s: PresenceSocket) => {
    const event: PresenceEvent = {
      type,
      id: randomUUID(),
      org_id: s.orgId,
      group_id: s.groupId,
      user_id: s.userId,
      username: s.username,
    };
    hub.publish(channels.group(s.orgId, s.groupId), type, JSON.stringify(event));
  };
  presence.onExpired((orgId, groupId, user) =>
    announce('presence.leave', { connId: '', orgId, groupId, ...user }),
  );
  return {
    connected(s) {
      presence
        .join(s.orgId, s.groupId, s.connId, { userId: s.userId, username: s.username })
        .then((r) => r.first && announce('presence.join', s))
        .catch(onError);
    },
    disconnected(s) {
      presence
        .leave(s.orgId, s.groupId, s.connId)
        .then((r) => r.last && announce('presence.leave', s))
        .catch(onError);
    },
  };
}
