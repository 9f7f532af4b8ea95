import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { WorkspaceClientFrame } from '../../protocol/workspace.js';
import type { WorkspaceContext } from './workspace-context.js';

type Publish = Extract<WorkspaceClientFrame, { type: 'publish' }>;

/**
 * A `publish`: stored through the message service; its reply is the message event with the
 * publish's `req`, in the stream's seq order when the socket is subscribed to the group
 * (never ahead of earlier seqs, never twice), else at once.
 */
export async function publish(ws: WorkspaceContext, f: Publish): Promise<void> {
  const { session, deps, replies } = ws;
  const user = ws.user;
  const stream = session.streams.get(f.group_id);
  // A subscription already proved access (and is dropped when access is lost).
  const access = stream?.access ?? (await deps.groups.access(user, user.orgId, f.group_id));
  // The id is chosen here so the stream recognises this message and puts the reply (the
  // event with `req`) in its seq position.
  const id = randomUUID();
  if (stream) replies.expect(id, f.req);
  let created = false;
  try {
    const input = { content: f.content, clientMsgId: f.client_msg_id ?? null, id };
    const stored = await deps.messages.store(access, input, 'ws');
    if (!stored) throw new AppError('not_found', 'group not found');
    created = stored.created;
    const original = stored.message;
    // Sending the message ends the sender's typing indicator (after the message itself).
    if (created) session.streams.get(f.group_id)?.typing?.stop();
    // Not subscribed: reply directly. Unsubscribed meanwhile and not yet seen in the
    // stream: reply directly too.
    if (!stream || (session.streams.get(f.group_id) !== stream && replies.forget(id))) {
      ws.reply({ req: f.req, ...original });
    } else if (!created) {
      // A repeated client_msg_id: the original is the reply, in its seq position as well.
      // A stream still replaying towards it carries it later; one past it already did.
      await stream.whenPositioned();
      if (
        session.streams.get(f.group_id) !== stream ||
        stream.deliveredSeq >= original.seq ||
        replies.has(original.id)
      ) {
        ws.reply({ req: f.req, ...original });
      } else {
        replies.expect(original.id, f.req);
      }
    }
  } finally {
    if (!created) replies.forget(id);
  }
}
