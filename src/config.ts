import path from 'node:path';
import { ConfigError } from './config-error.js';
import {
  optionalPath,
  parseBoolean,
  parseDuration,
  parseDurationOrZero,
  parseEncryptionKey,
  parseInteger,
  parsePublicUrl,
  parseTrustProxy,
  parseSecret,
  parseSize,
  parseUrl,
} from './config-parse.js';

export { ConfigError } from './config-error.js';
export { parseDuration, parseSize } from './config-parse.js';

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
  /** `auto`: readable lines on a terminal, JSON otherwise; or always one of them. */
  logFormat: 'auto' | 'json' | 'pretty';
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  dbPoolSize: number;
  dbStatementTimeoutMs: number;
  /** `true`, or the proxy addresses / CIDRs whose `X-Forwarded-*` headers are honoured. */
  trustProxy: boolean | string[];
  /** The server's public origin (and path), e.g. https://chat.example.com; sockets and CORS trust it. */
  publicUrl: string | undefined;
  /** When set, `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken: string | undefined;
  /** On SIGTERM, sockets are closed in batches spread over this window (0: all at once). */
  shutdownDrainMs: number;
  /** How long after sending an author may edit a message (0: no limit). */
  messageEditWindowMs: number;
  maxAttachmentBytes: number;
  /** Attachments go to this directory instead of the database. */
  attachmentsDir: string | undefined;
  orgMaxSockets: number;
  orgMessagesPerSecond: number;
  orgStorageBytes: number;
  webhookAllowPrivate: boolean;
  /** The 32-byte key that wraps each org's data key (ENCRYPTION_KEY or ENCRYPTION_KEY_FILE). */
  encryptionKey: Buffer | undefined;
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
  const logFormat = (get('LOG_FORMAT') ?? 'auto').toLowerCase();
  if (logFormat !== 'auto' && logFormat !== 'json' && logFormat !== 'pretty') {
    throw new ConfigError('LOG_FORMAT', 'must be "auto", "json" or "pretty"');
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
    logFormat,
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
    trustProxy: parseTrustProxy(get('TRUST_PROXY')),
    publicUrl: parsePublicUrl(get('PUBLIC_URL')),
    metricsToken: parseSecret('METRICS_TOKEN', get('METRICS_TOKEN'), 16),
    shutdownDrainMs: parseDurationOrZero('SHUTDOWN_DRAIN', get('SHUTDOWN_DRAIN') ?? '5s'),
    messageEditWindowMs: parseDurationOrZero(
      'MESSAGE_EDIT_WINDOW',
      get('MESSAGE_EDIT_WINDOW') ?? '0',
    ),
    maxAttachmentBytes: parseSize('MAX_ATTACHMENT_BYTES', get('MAX_ATTACHMENT_BYTES') ?? '25MiB'),
    attachmentsDir: optionalPath(get('ATTACHMENTS_DIR')),
    orgMaxSockets: parseInteger(
      'ORG_MAX_SOCKETS',
      get('ORG_MAX_SOCKETS') ?? '10000',
      1,
      10_000_000,
    ),
    orgMessagesPerSecond: parseInteger(
      'ORG_MESSAGES_PER_SECOND',
      get('ORG_MESSAGES_PER_SECOND') ?? '500',
      1,
      10_000_000,
    ),
    orgStorageBytes: parseSize('ORG_STORAGE_BYTES', get('ORG_STORAGE_BYTES') ?? '10GiB'),
    webhookAllowPrivate: parseBoolean('WEBHOOK_ALLOW_PRIVATE', get('WEBHOOK_ALLOW_PRIVATE')),
    encryptionKey: parseEncryptionKey(get('ENCRYPTION_KEY'), get('ENCRYPTION_KEY_FILE')),
  };
}
