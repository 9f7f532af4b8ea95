import { badRequest } from '../errors.js';

/**
 * Keyset cursors are opaque to clients: base64url of a small JSON object. Decoding only
 * undoes that; the listing then checks every key it reads (a client can make a cursor).
 */
export const encodeOpaque = (value: object): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

export const badCursor = () => badRequest('query.cursor is not a cursor of this listing');

/** The object a cursor holds, or a 400 naming `query.cursor`. */
export function decodeOpaque(raw: string): Record<string, unknown> {
  let c: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw badCursor();
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw badCursor();
  return c as Record<string, unknown>;
}
