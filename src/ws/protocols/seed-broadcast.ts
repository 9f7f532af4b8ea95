import { makeFrame, type Frame } from '../engine/out-frame.js';

/** One re-encoding per (broadcast, group), shared by every group socket of that group. */
const variants = new WeakMap<Frame, Map<string, Frame>>();

/**
 * An org `broadcast` frame as the seed's group socket sends it: with that socket's
 * `group_id` and `client_id: null` (the Go server's one frame shape). Encoded once per group
 * the broadcast reaches on this node, not once per socket; broadcasts are rare, so the one
 * parse this costs is not on the message path.
 */
export function seedBroadcast(frame: Frame, groupId: string): Frame {
  let byGroup = variants.get(frame);
  if (!byGroup) variants.set(frame, (byGroup = new Map()));
  let out = byGroup.get(groupId);
  if (!out) {
    const event = JSON.parse(frame.text) as Record<string, unknown>;
    out = makeFrame(frame.type, JSON.stringify({ ...event, group_id: groupId, client_id: null }));
    byGroup.set(groupId, out);
  }
  return out;
}
