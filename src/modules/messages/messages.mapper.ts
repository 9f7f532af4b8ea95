import type { MessageRow } from '../../db/schema.js';
import type { Broadcast, Message } from '../../protocol/messages.js';
import { iso } from '../../shared/time.js';
import type { BroadcastRow } from './messages.repo.js';

export const toMessage = (m: MessageRow): Message => ({
  type: 'message',
  id: m.id,
  seq: m.seq,
  org_id: m.orgId,
  group_id: m.groupId,
  user_id: m.userId,
  username: m.username,
  client_id: m.clientId,
  client_msg_id: m.clientMsgId,
  content: m.content,
  timestamp: iso(m.createdAt),
});

export const toBroadcast = (b: BroadcastRow): Broadcast => ({
  type: 'broadcast',
  id: b.id,
  org_id: b.orgId,
  user_id: b.userId,
  username: b.username,
  content: b.content,
  timestamp: iso(b.createdAt),
});
