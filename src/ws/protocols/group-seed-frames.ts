import { Type } from 'typebox';
import { CLIENT_MSG_ID_MAX, type ErrorFrame } from '../../protocol/messages.js';
import { compileValue, decodeFrame } from '../engine/parse.js';

/** What a group socket frame asks for, once validated. Identity fields in it are ignored. */
export type SeedCommand =
  | { kind: 'ping' }
  | { kind: 'message'; content: string; clientMsgId: string | null }
  | { kind: 'invalid'; message: string; clientMsgId: string | null };

/**
 * The seed's frame, field by field, in the order the seed checked them (so the client is told
 * of the first field that is wrong): `{"content": "...", "client_msg_id"?: "..."}` or
 * `{"type": "ping"}`. `absent`: the values that mean the field was left out; `echo`: whether the error names the frame's client_msg_id. Content
 * limits are the message service's (checkContent), not the frame's.
 */
const FIELDS = [
  {
    name: 'type',
    check: compileValue(Type.Literal('message')),
    absent: [undefined],
    message: 'type must be "ping" or absent (a message)',
    echo: true,
  },
  {
    name: 'client_msg_id',
    check: compileValue(
      Type.String({ minLength: 1, maxLength: CLIENT_MSG_ID_MAX, pattern: '^[^\\u0000]*$' }),
    ),
    absent: [undefined, null],
    message: `client_msg_id must be a string of 1 to ${CLIENT_MSG_ID_MAX} characters without NUL`,
    echo: false,
  },
  {
    name: 'content',
    check: compileValue(Type.String()),
    absent: [],
    message: 'content must be a string',
    echo: true,
  },
] as const;

export function parseSeedFrame(
  data: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
): SeedCommand {
  const d = decodeFrame(data, isBinary);
  if (!d.ok) return { kind: 'invalid', message: d.message, clientMsgId: null };
  const f = d.fields;
  if (f['type'] === 'ping') return { kind: 'ping' };
  const rawId = f['client_msg_id'];
  const clientMsgId = typeof rawId === 'string' ? rawId : null;
  for (const field of FIELDS) {
    const v = f[field.name];
    if ((field.absent as readonly unknown[]).includes(v)) continue;
    if (!field.check(v)) {
      return {
        kind: 'invalid',
        message: field.message,
        clientMsgId: field.echo ? clientMsgId : null,
      };
    }
  }
  return { kind: 'message', content: f['content'] as string, clientMsgId };
}

export const PONG = { type: 'pong' } as const;

export const errorFrame = (
  code: ErrorFrame['code'],
  message: string,
  clientMsgId: string | null = null,
): ErrorFrame => ({ type: 'error', code, message, client_msg_id: clientMsgId });
