import { channels } from './channels.js';
import type { EventSink, ServerEvent } from './events.js';
import type { Hub } from './hub.js';

/**
 * The realtime implementation of `EventSink`: each event is encoded once, delivered to this
 * node's sockets on the user's (or org's) channel and carried to the other nodes by the
 * hub's broker. It never throws at the caller: an id that cannot name a channel is logged
 * and dropped, as the event is best-effort by contract.
 */
export function createEventSink(hub: Hub, onError: (err: unknown) => void = () => {}): EventSink {
  const send = (channel: () => string, event: ServerEvent) => {
    try {
      hub.publish(channel(), event.type, JSON.stringify(event));
    } catch (err) {
      onError(err);
    }
  };
  return {
    toUser: (orgId, userId, event) => send(() => channels.user(orgId, userId), event),
    toOrg: (orgId, event) => send(() => channels.org(orgId), event),
  };
}
