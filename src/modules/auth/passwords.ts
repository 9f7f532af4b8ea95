import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Semaphore } from '../../shared/semaphore.js';

/**
 * scrypt with OWASP's parameters (N=2^17, r=8, p=1). Each hash holds 128 MiB and ~0.4 s of a
 * core, so at most two run at once: a burst of logins queues instead of exhausting memory or
 * the libuv pool that file and DNS work share. The parameters are stored with the hash so they
 * can be raised later without invalidating existing passwords.
 */
const PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const gate = new Semaphore(2);

function scrypt(password: string, salt: Buffer, opts: ScryptOptions, keylen: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scryptCb(password.normalize('NFKC'), salt, keylen, opts, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

const maxmem = (N: number, r: number) => 256 * N * r;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = PARAMS;
  const key = await gate.run(() =>
    scrypt(password, salt, { N, r, p, maxmem: maxmem(N, r) }, KEY_LENGTH),
  );
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const key = await gate.run(() =>
    scrypt(password, salt, { N, r, p, maxmem: maxmem(N, r) }, expected.length),
  );
  return timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;
/**
 * Spends the same time as a real check, so an unknown org or user cannot be told from a
 * wrong password by timing.
 */
export async function burnPasswordCheck(password: string): Promise<false> {
  dummy ??= hashPassword('orghub-timing-equaliser');
  await verifyPassword(password, await dummy);
  return false;
}
