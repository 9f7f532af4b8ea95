import { Ajv } from 'ajv';
import { AppError } from '../errors.js';
import {
  WORKSPACE_FRAME_TYPES,
  WorkspaceClientFrame,
  type WorkspaceError,
} from '../protocol/workspace.js';

// Strict: no coercion, unknown fields refused (an `org_id` or `user_id` cannot be slipped in).
const ajv = new Ajv({
  coerceTypes: false,
  removeAdditional: false,
  allErrors: false,
  strict: false,
});
const check = ajv.compile<WorkspaceClientFrame>(WorkspaceClientFrame);
const known = new Set<string>(WORKSPACE_FRAME_TYPES);

/** How server frames begin (JSON.stringify keeps key order), to route them without parsing. */
export const MESSAGE_HEAD = '{"type":"message","id":"';
export const TYPING_HEAD = '{"type":"typing"';
/** Subscriptions one socket may hold: each is a hub subscription and a presence entry. */
export const MAX_SUBSCRIPTIONS = 1000;

/** What a client is told of a failed request: its own mistake, or `unavailable` (retry). */
export function clientError(err: unknown): Pick<WorkspaceError, 'code' | 'message'> {
  if (err instanceof AppError && err.status < 500) {
    const code = err.code === 'not_found' || err.code === 'forbidden' ? err.code : 'bad_request';
    return { code, message: err.message };
  }
  return { code: 'unavailable', message: 'could not be done now, nothing changed; retry' };
}

export type Parsed =
  { ok: true; frame: WorkspaceClientFrame } | { ok: false; error: WorkspaceError };

export const errorText = (
  req: string | null,
  code: WorkspaceError['code'],
  message: string,
  groupId?: string,
): string =>
  JSON.stringify({
    type: 'error',
    req,
    code,
    message,
    ...(groupId !== undefined && { group_id: groupId }),
  } satisfies WorkspaceError);

const bad = (req: string | null, message: string): Parsed => ({
  ok: false,
  error: { type: 'error', req, code: 'bad_request', message },
});

/** Parses and validates one client frame; the error names the failing field. */
export function parseWorkspaceFrame(
  data: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
): Parsed {
  if (isBinary) return bad(null, 'frames must be JSON text, not binary');
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad(null, 'frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad(null, 'frame must be a JSON object');
  }
  const f = value as Record<string, unknown>;
  const rawReq = f['req'];
  const req = typeof rawReq === 'string' && rawReq.length <= 64 ? rawReq : null;
  if (typeof f['type'] !== 'string' || !known.has(f['type'])) {
    return bad(req, `type must be one of ${WORKSPACE_FRAME_TYPES.join(', ')}`);
  }
  if (req === null || req === '') return bad(null, 'req must be a string of 1 to 64 characters');
  // Validated against the one schema of that type, so the message names its field.
  const only = { ...f };
  if (check(only)) return { ok: true, frame: only };
  const sub = WorkspaceClientFrame.anyOf.find((s) => s.properties.type.const === f['type'])!;
  const one = ajv.compile(sub);
  one(f);
  const e = one.errors?.[0];
  const where = e
    ? e.keyword === 'additionalProperties'
      ? `unknown field ${String((e.params as { additionalProperty: string }).additionalProperty)}`
      : `${e.instancePath.slice(1) || (e.params as { missingProperty?: string }).missingProperty || 'frame'} ${e.message ?? 'is invalid'}`
    : 'frame is invalid';
  return bad(req, where);
}
