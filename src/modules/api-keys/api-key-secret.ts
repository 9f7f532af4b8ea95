import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX } from '../../protocol/api-keys.js';

/** How many characters of a key are kept in clear to tell keys apart (`ohk_` + 8). */
const SHOWN = API_KEY_PREFIX.length + 8;
/** `ohk_` + base64url of 32 bytes: 43 characters. */
const KEY_RE = /^ohk_[A-Za-z0-9_-]{43}$/;

/**
 * A new API key: 256 random bits, only their SHA-256 is stored. A plain (unsalted, fast) hash
 * is enough for a secret this long: salting and slow hashing defend low-entropy passwords
 * against guessing, and no one guesses 2^256. It also lets a request find its key by an
 * index lookup on the hash. That lookup need not be constant-time: its timing could at most
 * tell an attacker something about the hash of what they sent, and without a preimage of
 * SHA-256 that brings them no closer to a stored key.
 */
export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, SHOWN) };
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Whether a bearer token is written as an API key (it may still be unknown or revoked). */
export const looksLikeApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

/** Whether it has the exact shape of a key we issue (anything else is not looked up). */
export const isWellFormedApiKey = (token: string): boolean => KEY_RE.test(token);
