import {
  WORKSPACE_FRAME_TYPES,
  WorkspaceClientFrame,
  type WorkspaceError,
} from '../../protocol/workspace.js';
import { compileFrame, decodeFrame, describe, type FrameSchema } from '../engine/parse.js';

// Strict: unknown fields refused by the schemas (an `org_id` or `user_id` cannot be slipped in).
const check = compileFrame<WorkspaceClientFrame>(WorkspaceClientFrame);
/** One schema per frame type, so that an error names the field of that type that failed. */
const byType = new Map<string, FrameSchema<WorkspaceClientFrame>>(
  WorkspaceClientFrame.anyOf.map((s) => [s.properties.type.const, compileFrame(s)]),
);
const known = new Set<string>(WORKSPACE_FRAME_TYPES);

/** Subscriptions one socket may hold: each is a hub subscription and a presence entry. */
export const MAX_SUBSCRIPTIONS = 1000;

/** The codes a client's own mistake keeps on this socket (others are `bad_request`). */
export const CLIENT_CODES = ['not_found', 'forbidden'] as const;

export type Parsed =
  { ok: true; frame: WorkspaceClientFrame } | { ok: false; error: WorkspaceError };

export const errorOf = (
  req: string | null,
  code: WorkspaceError['code'],
  message: string,
  groupId?: string,
): WorkspaceError => ({
  type: 'error',
  req,
  code,
  message,
  ...(groupId !== undefined && { group_id: groupId }),
});

const bad = (req: string | null, message: string): Parsed => ({
  ok: false,
  error: { type: 'error', req, code: 'bad_request', message },
});

/** Parses and validates one client frame; the error names the failing field. */
export function parseWorkspaceFrame(
  data: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
): Parsed {
  const d = decodeFrame(data, isBinary);
  if (!d.ok) return bad(null, d.message);
  const f = d.fields;
  const rawReq = f['req'];
  const req = typeof rawReq === 'string' && rawReq.length <= 64 ? rawReq : null;
  if (typeof f['type'] !== 'string' || !known.has(f['type'])) {
    return bad(req, `type must be one of ${WORKSPACE_FRAME_TYPES.join(', ')}`);
  }
  if (req === null || req === '') return bad(null, 'req must be a string of 1 to 64 characters');
  if (check.check(f)) return { ok: true, frame: f };
  const one = byType.get(f['type'])!;
  one.check(f);
  return bad(req, describe(one.errors()[0]));
}
