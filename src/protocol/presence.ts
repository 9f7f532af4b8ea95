import { Type, type Static } from 'typebox';
import { Slug, Uuid } from './common.js';

export const PresentUser = Type.Object(
  { user_id: Uuid('the user'), username: Type.String() },
  { $id: 'PresentUser', additionalProperties: false },
);
export type PresentUser = Static<typeof PresentUser>;

export const PresenceList = Type.Array(Type.Ref('PresentUser'), {
  description: 'users with at least one socket on the group, on any node, sorted by username',
});

/**
 * Sent to the group's sockets when a user's first socket on the group connects
 * (`presence.join`) or their last one closes (`presence.leave`), on whichever node.
 */
export const PresenceEvent = Type.Object({
  type: Type.Union([Type.Literal('presence.join'), Type.Literal('presence.leave')]),
  id: Uuid('event id, for dropping duplicates'),
  org_id: Slug('the org'),
  group_id: Slug('the group'),
  user_id: Uuid('the user'),
  username: Type.String(),
});
export type PresenceEvent = Static<typeof PresenceEvent>;
