import path from 'node:path';

/** Every setting OrgHub reads from the environment, validated once at start. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  adminToken: string | undefined;
  jwtSecret: string | undefined;
  messageRetentionMs: number;
  maxMessageChars: number;
  wsPingIntervalMs: number;
  wsPongTimeoutMs: number;
  wsRateLimit: number;
  maxSocketsPerUser: number;
  wsMaxBacklogBytes: number;
  wsMaxFrameBytes: number;
  allowedOrigins: string[];
  signup: 'open' | 'closed';
  logLevel: LogLevel;
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  dbPoolSize: number;
  dbStatementTimeoutMs: number;
  trustProxy: boolean;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

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

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `"${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return n;
}

function parseUrl(name: string, raw: string, protocols: string[]): string {
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

function parseSecret(name: string, raw: string | undefined, minLength: number): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < minLength)
    throw new ConfigError(name, `must be at least ${minLength} characters`);
  return raw;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const signup = (get('SIGNUP') ?? 'open').toLowerCase();
  if (signup !== 'open' && signup !== 'closed') {
    throw new ConfigError('SIGNUP', 'must be "open" or "closed"');
  }
  // Browsers send `Origin` without a trailing slash; stored the same way so they compare equal.
  const allowedOrigins = (get('ALLOWED_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((origin) => {
      if (origin === '*') return origin;
      try {
        const u = new URL(origin);
        if (u.origin !== origin.replace(/\/$/, '')) throw new Error('not an origin');
        return u.origin;
      } catch {
        throw new ConfigError(
          'ALLOWED_ORIGINS',
          `"${origin}" is not an origin like https://app.example.com`,
        );
      }
    });
  const host = get('HOST') ?? '0.0.0.0';
  // A host name or an IPv4/IPv6 address; not a URL.
  if (!/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|[0-9A-Fa-f:.%]*:[0-9A-Fa-f:.%]*)$/.test(host)) {
    throw new ConfigError('HOST', `"${host}" is not a host name or IP address`);
  }
  const databaseUrl = get('DATABASE_URL');
  const redisUrl = get('REDIS_URL');
  const trustProxy = (get('TRUST_PROXY') ?? 'false').toLowerCase();
  if (trustProxy !== 'true' && trustProxy !== 'false') {
    throw new ConfigError('TRUST_PROXY', 'must be "true" or "false"');
  }
  return {
    port: parseInteger('PORT', get('PORT') ?? '8080', 0, 65535),
    host,
    databaseUrl: databaseUrl && parseUrl('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']),
    redisUrl: redisUrl && parseUrl('REDIS_URL', redisUrl, ['redis:', 'rediss:']),
    dataDir: path.resolve(get('DATA_DIR') ?? './data'),
    adminToken: parseSecret('ADMIN_TOKEN', get('ADMIN_TOKEN'), 16),
    jwtSecret: parseSecret('JWT_SECRET', get('JWT_SECRET'), 32),
    messageRetentionMs: parseDuration('MESSAGE_RETENTION', get('MESSAGE_RETENTION') ?? '7d'),
    maxMessageChars: parseInteger(
      'MAX_MESSAGE_CHARS',
      get('MAX_MESSAGE_CHARS') ?? '4000',
      1,
      60_000,
    ),
    wsPingIntervalMs: parseDuration('WS_PING_INTERVAL', get('WS_PING_INTERVAL') ?? '54s'),
    wsPongTimeoutMs: parseDuration('WS_PONG_TIMEOUT', get('WS_PONG_TIMEOUT') ?? '60s'),
    wsRateLimit: parseInteger('WS_RATE_LIMIT', get('WS_RATE_LIMIT') ?? '20', 1, 100_000),
    maxSocketsPerUser: parseInteger(
      'MAX_SOCKETS_PER_USER',
      get('MAX_SOCKETS_PER_USER') ?? '20',
      1,
      10_000,
    ),
    wsMaxBacklogBytes: parseSize('WS_MAX_BACKLOG', get('WS_MAX_BACKLOG') ?? '1MiB'),
    wsMaxFrameBytes: parseSize('WS_MAX_FRAME', get('WS_MAX_FRAME') ?? '64KiB'),
    allowedOrigins,
    signup,
    logLevel: logLevel as LogLevel,
    accessTokenTtlSec: Math.round(
      parseDuration('ACCESS_TOKEN_TTL', get('ACCESS_TOKEN_TTL') ?? '15m') / 1000,
    ),
    refreshTokenTtlSec: Math.round(
      parseDuration('REFRESH_TOKEN_TTL', get('REFRESH_TOKEN_TTL') ?? '30d') / 1000,
    ),
    dbPoolSize: parseInteger('DB_POOL_SIZE', get('DB_POOL_SIZE') ?? '10', 1, 1000),
    dbStatementTimeoutMs: parseDuration(
      'DB_STATEMENT_TIMEOUT',
      get('DB_STATEMENT_TIMEOUT') ?? '10s',
    ),
    trustProxy: trustProxy === 'true',
  };
}
