import { randomUUID } from 'node:crypto';
import type { AccessRevokedEvent } from '../../protocol/workspace-events.js';
import type { ServerEvent } from '../../realtime/events.js';

/**
 * Builds the event sent on the user channel when a user's access changed, so that every
 * node's sessions act on it (wired in the composition root to the auth, user and group
 * services; Session reacts to it).
 */
export function accessRevoked(
  reason: AccessRevokedEvent['reason'],
  extra: { group_id?: string; session_id?: string } = {},
): ServerEvent {
  return { type: 'access.revoked', id: randomUUID(), reason, ...extra };
}
