import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { ConfigError } from './config-error.js';

/** The parsers of environment values; each error names its variable. */

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses `250ms`, `54s`, `10m`, `7d`, or a bare number of seconds. */
export function parseDuration(name: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new ConfigError(name, `"${raw}" is not a duration (examples: 500ms, 54s, 10m, 7d)`);
  const value = Number(m[1]) * DURATION_UNITS[m[2] ?? 's']!;
  if (!(value > 0)) throw new ConfigError(name, 'must be greater than zero');
  return Math.round(value);
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1_000_000,
  mib: 1024 * 1024,
  gb: 1_000_000_000,
  gib: 1024 ** 3,
};

/** Parses `1MiB`, `64KiB`, `500kb`, or a bare number of bytes. */
export function parseSize(name: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]+)?$/.exec(raw.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? 'b').toLowerCase()];
  if (!m || unit === undefined) {
    throw new ConfigError(name, `"${raw}" is not a size (examples: 65536, 64KiB, 1MiB)`);
  }
  const value = Math.round(Number(m[1]) * unit);
  if (!(value > 0)) throw new ConfigError(name, 'must be greater than zero');
  return value;
}

export function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `"${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return n;
}

export function parseUrl(name: string, raw: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

export function parseSecret(
  name: string,
  raw: string | undefined,
  minLength: number,
): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < minLength)
    throw new ConfigError(name, `must be at least ${minLength} characters`);
  return raw;
}

/** A duration where `0` means "off" (no limit, no window). */
export function parseDurationOrZero(name: string, raw: string): number {
  return /^0+(?:\.0+)?\s*(ms|s|m|h|d)?$/.test(raw.trim()) ? 0 : parseDuration(name, raw);
}

export function parseBoolean(name: string, raw: string | undefined, fallback = false): boolean {
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(name, 'must be "true" or "false"');
}

export const optionalPath = (raw: string | undefined) =>
  raw === undefined ? undefined : path.resolve(raw);

/**
 * `true` / `false`, or a comma-separated list of the proxies' addresses or CIDR ranges
 * (`10.0.0.0/8, 127.0.0.1`): X-Forwarded-* is honoured only from those.
 */
export function parseTrustProxy(raw: string | undefined): boolean | string[] {
  if (raw === undefined) return false;
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === 'false') return v === 'true';
  return raw.split(',').map((entry) => {
    const e = entry.trim();
    const [addr, bits, extra] = e.split('/');
    const family = isIP(addr ?? '');
    const max = family === 6 ? 128 : 32;
    if (
      !family ||
      extra !== undefined ||
      (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))
    ) {
      throw new ConfigError(
        'TRUST_PROXY',
        `"${e}" is not true, false, an IP address or a CIDR range`,
      );
    }
    return e;
  });
}

/** An http(s) URL without query or fragment; kept without a trailing slash. */
export function parsePublicUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  parseUrl('PUBLIC_URL', raw, ['http:', 'https:']);
  const u = new URL(raw);
  if (u.search || u.hash) throw new ConfigError('PUBLIC_URL', 'must not have a query or fragment');
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** 32 bytes, base64, from the variable or from the file it names (not both). */
export function parseEncryptionKey(
  raw: string | undefined,
  file: string | undefined,
): Buffer | undefined {
  if (raw !== undefined && file !== undefined) {
    throw new ConfigError('ENCRYPTION_KEY', 'set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE, not both');
  }
  let text = raw;
  const name = file !== undefined ? 'ENCRYPTION_KEY_FILE' : 'ENCRYPTION_KEY';
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(
        name,
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (text === undefined) return undefined;
  const t = text.trim();
  const key = Buffer.from(t, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || key.length !== 32) {
    throw new ConfigError(name, 'must be 32 bytes in base64 (openssl rand -base64 32)');
  }
  return key;
}
