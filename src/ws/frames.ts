import { CLIENT_MSG_ID_MAX, type ErrorFrame } from '../protocol/messages.js';

/** What a client frame asks for, once validated. Identity fields in it are ignored. */
export type ClientCommand =
  | { kind: 'ping' }
  | { kind: 'message'; content: string; clientMsgId: string | null }
  | { kind: 'invalid'; error: ErrorFrame };

export const PONG = JSON.stringify({ type: 'pong' });

export const errorFrame = (
  code: ErrorFrame['code'],
  message: string,
  clientMsgId: string | null = null,
): string => JSON.stringify({ type: 'error', code, message, client_msg_id: clientMsgId });

const invalid = (message: string, clientMsgId: string | null = null): ClientCommand => ({
  kind: 'invalid',
  error: { type: 'error', code: 'bad_request', message, client_msg_id: clientMsgId },
});

/**
 * Parses one client frame: `{"content": "...", "client_msg_id"?: "..."}` or
 * `{"type": "ping"}`. Content limits are checked by the message service, not here.
 */
export function parseClientFrame(
  data: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
): ClientCommand {
  if (isBinary) return invalid('frames must be JSON text, not binary');
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.from(data).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('frame must be a JSON object');
  }
  const f = value as Record<string, unknown>;
  const rawId = f['client_msg_id'];
  const clientMsgId = typeof rawId === 'string' ? rawId : null;
  const type = f['type'];
  if (type === 'ping') return { kind: 'ping' };
  if (type !== undefined && type !== 'message') {
    return invalid('type must be "ping" or absent (a message)', clientMsgId);
  }
  if (rawId !== undefined && rawId !== null) {
    if (
      typeof rawId !== 'string' ||
      rawId.length < 1 ||
      rawId.length > CLIENT_MSG_ID_MAX ||
      rawId.includes('\u0000')
    ) {
      return invalid(
        `client_msg_id must be a string of 1 to ${CLIENT_MSG_ID_MAX} characters without NUL`,
      );
    }
  }
  const content = f['content'];
  if (typeof content !== 'string') return invalid('content must be a string', clientMsgId);
  return { kind: 'message', content, clientMsgId };
}
