import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { WorkspaceClientFrame } from '../../protocol/workspace.js';
import { channels } from '../../realtime/channels.js';
import { GroupStream } from '../engine/stream.js';
import type { WorkspaceContext } from './workspace-context.js';
import { MAX_SUBSCRIPTIONS } from './workspace-frames.js';
import { SubscriptionSink } from './workspace-sink.js';

type Subscribe = Extract<WorkspaceClientFrame, { type: 'subscribe' }>;

/**
 * A `subscribe`: the group's access (404 when the user may not see it), its newest seq and
 * whether `since_seq` can be resumed without a hole (`recovered`), then a stream that replays
 * from there and goes live. Subscribing again replaces the subscription.
 */
export async function subscribe(ws: WorkspaceContext, f: Subscribe): Promise<void> {
  const { session, deps } = ws;
  const user = ws.user;
  if (session.streams.size >= MAX_SUBSCRIPTIONS && !session.streams.has(f.group_id)) {
    return ws.error(
      f.req,
      'rate_limited',
      `at most ${MAX_SUBSCRIPTIONS} subscriptions per socket`,
      f.group_id,
    );
  }
  const access = await deps.groups.access(user, user.orgId, f.group_id);
  const { messages } = deps;
  dropSubscription(ws, f.group_id, null, '');
  const last = (await messages.lastSeq(access)) ?? 0;
  let recovered = true;
  const since = f.since_seq;
  if (since !== undefined && since < last) {
    const [first] = await messages.replayPage(access, since, 1);
    recovered = first !== undefined && first.seq === since + 1;
  }
  if (session.isClosed) return;
  const groupId = f.group_id;
  const sink = new SubscriptionSink(
    session.sink,
    user.id,
    deps.maxBacklogBytes,
    ws.replies,
    (code, reason) => {
      // The whole socket is behind: it closes; a stream that failed alone is dropped.
      if (code === 1013) return session.sink.overflow(reason);
      if (session.streams.get(groupId) === stream)
        dropSubscription(ws, groupId, code === 1008 ? 'gone' : 'failed', reason);
    },
  );
  const stream: GroupStream = new GroupStream(
    sink,
    {
      access,
      groupId,
      channel: channels.group(user.orgId, groupId),
      sinceSeq: since,
      // The presence connection of this subscription (one per socket and group).
      presence: {
        connId: randomUUID(),
        orgId: user.orgId,
        groupId,
        userId: user.id,
        username: user.username,
      },
      typist: { userId: user.id, username: user.username },
    },
    deps.stream,
  );
  session.streams.set(groupId, stream);
  ws.reply({ type: 'subscribed', req: f.req, group_id: groupId, last_seq: last, recovered });
  void stream.start();
}

/** Ends a subscription; tells the client why unless it asked (reason null). */
export function dropSubscription(
  ws: WorkspaceContext,
  groupId: string,
  reason: string | null,
  message: string,
): void {
  const stream = ws.session.streams.get(groupId);
  if (!stream) return;
  ws.session.streams.delete(groupId);
  stream.stop();
  if (reason !== null)
    ws.reply({ type: 'unsubscribed', req: null, group_id: groupId, reason, message });
}

/** Ends the subscriptions (of one group, or all private ones) the user may no longer hold. */
export async function recheckSubscriptions(ws: WorkspaceContext, only?: string): Promise<void> {
  const streams = [...ws.session.streams.values()].filter((s) =>
    only !== undefined ? s.groupId === only : s.isPrivate,
  );
  for (const stream of streams) {
    try {
      await ws.deps.groups.access(ws.user, stream.orgId, stream.groupId);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      if (ws.session.streams.get(stream.groupId) === stream)
        dropSubscription(ws, stream.groupId, 'removed', 'no longer a member of this group');
    }
  }
}
