import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';

/** Every variable of the contract's Configuration section (and the extras the README lists). */
describe('configuration from the environment', () => {
  it('has the documented defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject<Partial<Config>>({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: undefined,
      redisUrl: undefined,
      dataDir: path.resolve('./data'),
      adminToken: undefined,
      jwtSecret: undefined,
      messageRetentionMs: 7 * 86_400_000,
      maxMessageChars: 4000,
      wsPingIntervalMs: 54_000,
      wsPongTimeoutMs: 60_000,
      wsRateLimit: 20,
      maxSocketsPerUser: 20,
      wsMaxBacklogBytes: 1024 * 1024,
      wsMaxFrameBytes: 64 * 1024,
      allowedOrigins: [],
      signup: 'open',
      logLevel: 'info',
      logFormat: 'auto',
      accessTokenTtlSec: 900,
      refreshTokenTtlSec: 30 * 86_400,
      dbPoolSize: 10,
      dbStatementTimeoutMs: 10_000,
      trustProxy: false,
      publicUrl: undefined,
      metricsToken: undefined,
      shutdownDrainMs: 5000,
      messageEditWindowMs: 0,
      maxAttachmentBytes: 25 * 1024 * 1024,
      attachmentsDir: undefined,
      orgMaxSockets: 10_000,
      orgMessagesPerSecond: 500,
      orgStorageBytes: 10 * 1024 ** 3,
      webhookAllowPrivate: false,
      encryptionKey: undefined,
    });
    // Blank values count as unset.
    expect(loadConfig({ PORT: '', LOG_LEVEL: '  ' }).port).toBe(8080);
  });

  const good: Array<[string, string, Partial<Config>]> = [
    ['PORT', '3000', { port: 3000 }],
    ['PORT', '0', { port: 0 }],
    ['HOST', '127.0.0.1', { host: '127.0.0.1' }],
    ['HOST', '::', { host: '::' }],
    ['DATABASE_URL', 'postgres://u:p@db:5432/x', { databaseUrl: 'postgres://u:p@db:5432/x' }],
    ['DATABASE_URL', 'postgresql://db/x', { databaseUrl: 'postgresql://db/x' }],
    ['REDIS_URL', 'redis://cache:6379', { redisUrl: 'redis://cache:6379' }],
    ['REDIS_URL', 'rediss://cache:6380/1', { redisUrl: 'rediss://cache:6380/1' }],
    ['DATA_DIR', '/tmp/orghub-x', { dataDir: '/tmp/orghub-x' }],
    ['ADMIN_TOKEN', 'a'.repeat(16), { adminToken: 'a'.repeat(16) }],
    ['JWT_SECRET', 's'.repeat(32), { jwtSecret: 's'.repeat(32) }],
    ['MESSAGE_RETENTION', '36h', { messageRetentionMs: 36 * 3_600_000 }],
    ['MESSAGE_RETENTION', '90', { messageRetentionMs: 90_000 }],
    ['MAX_MESSAGE_CHARS', '10000', { maxMessageChars: 10_000 }],
    ['WS_PING_INTERVAL', '500ms', { wsPingIntervalMs: 500 }],
    ['WS_PONG_TIMEOUT', '2m', { wsPongTimeoutMs: 120_000 }],
    ['WS_RATE_LIMIT', '5', { wsRateLimit: 5 }],
    ['MAX_SOCKETS_PER_USER', '3', { maxSocketsPerUser: 3 }],
    ['WS_MAX_BACKLOG', '512KiB', { wsMaxBacklogBytes: 512 * 1024 }],
    ['WS_MAX_BACKLOG', '2mb', { wsMaxBacklogBytes: 2_000_000 }],
    ['WS_MAX_FRAME', '16384', { wsMaxFrameBytes: 16_384 }],
    [
      'ALLOWED_ORIGINS',
      'https://app.example.com, http://localhost:5173/',
      { allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] },
    ],
    ['SIGNUP', 'closed', { signup: 'closed' }],
    ['SIGNUP', 'OPEN', { signup: 'open' }],
    ['LOG_LEVEL', 'debug', { logLevel: 'debug' }],
    ['LOG_LEVEL', 'SILENT', { logLevel: 'silent' }],
    ['LOG_FORMAT', 'json', { logFormat: 'json' }],
    ['LOG_FORMAT', 'Pretty', { logFormat: 'pretty' }],
    ['ACCESS_TOKEN_TTL', '5m', { accessTokenTtlSec: 300 }],
    ['REFRESH_TOKEN_TTL', '7d', { refreshTokenTtlSec: 7 * 86_400 }],
    ['DB_POOL_SIZE', '25', { dbPoolSize: 25 }],
    ['DB_STATEMENT_TIMEOUT', '30s', { dbStatementTimeoutMs: 30_000 }],
    ['TRUST_PROXY', 'true', { trustProxy: true }],
    ['TRUST_PROXY', '10.0.0.0/8, 127.0.0.1', { trustProxy: ['10.0.0.0/8', '127.0.0.1'] }],
    ['PUBLIC_URL', 'https://chat.example.com/', { publicUrl: 'https://chat.example.com' }],
    ['METRICS_TOKEN', 'm'.repeat(16), { metricsToken: 'm'.repeat(16) }],
    ['SHUTDOWN_DRAIN', '0', { shutdownDrainMs: 0 }],
    ['SHUTDOWN_DRAIN', '10s', { shutdownDrainMs: 10_000 }],
    ['MESSAGE_EDIT_WINDOW', '15m', { messageEditWindowMs: 900_000 }],
    ['MAX_ATTACHMENT_BYTES', '1MiB', { maxAttachmentBytes: 1024 * 1024 }],
    ['ATTACHMENTS_DIR', '/tmp/orghub-files', { attachmentsDir: '/tmp/orghub-files' }],
    ['ORG_MAX_SOCKETS', '50', { orgMaxSockets: 50 }],
    ['ORG_MESSAGES_PER_SECOND', '10', { orgMessagesPerSecond: 10 }],
    ['ORG_STORAGE_BYTES', '1GiB', { orgStorageBytes: 1024 ** 3 }],
    ['WEBHOOK_ALLOW_PRIVATE', 'true', { webhookAllowPrivate: true }],
    [
      'ENCRYPTION_KEY',
      Buffer.alloc(32, 7).toString('base64'),
      { encryptionKey: Buffer.alloc(32, 7) },
    ],
  ];
  it.each(good)('parses %s=%s', (name, value, expected) => {
    expect(loadConfig({ [name]: value })).toMatchObject(expected);
  });

  const bad: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['HOST', 'not a host'],
    ['HOST', 'http://x'],
    ['DATABASE_URL', 'mysql://db/x'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://cache'],
    ['ADMIN_TOKEN', 'short'],
    ['JWT_SECRET', 'too-short-for-hs256'],
    ['MESSAGE_RETENTION', 'forever'],
    ['MESSAGE_RETENTION', '0s'],
    ['MAX_MESSAGE_CHARS', '0'],
    ['MAX_MESSAGE_CHARS', 'lots'],
    ['WS_PING_INTERVAL', '-5s'],
    ['WS_PONG_TIMEOUT', '10 parsecs'],
    ['WS_RATE_LIMIT', '0'],
    ['MAX_SOCKETS_PER_USER', 'many'],
    ['WS_MAX_BACKLOG', '1 lightyear'],
    ['WS_MAX_FRAME', '0'],
    ['ALLOWED_ORIGINS', 'app.example.com'],
    ['ALLOWED_ORIGINS', 'https://app.example.com/path'],
    ['SIGNUP', 'maybe'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_FORMAT', 'text'],
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['REFRESH_TOKEN_TTL', '0'],
    ['DB_POOL_SIZE', '0'],
    ['DB_STATEMENT_TIMEOUT', 'x'],
    ['TRUST_PROXY', 'maybe'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['PUBLIC_URL', 'chat.example.com'],
    ['PUBLIC_URL', 'https://chat.example.com/?x=1'],
    ['METRICS_TOKEN', 'short'],
    ['SHUTDOWN_DRAIN', 'a while'],
    ['MESSAGE_EDIT_WINDOW', '-1m'],
    ['MAX_ATTACHMENT_BYTES', 'huge'],
    ['ORG_MAX_SOCKETS', '0'],
    ['ORG_MESSAGES_PER_SECOND', 'x'],
    ['ORG_STORAGE_BYTES', '0'],
    ['WEBHOOK_ALLOW_PRIVATE', 'perhaps'],
    ['ENCRYPTION_KEY', Buffer.alloc(16, 7).toString('base64')],
    ['ENCRYPTION_KEY', 'not base64 at all!'],
    ['ENCRYPTION_KEY_FILE', '/nonexistent/orghub.key'],
  ];
  it.each(bad)('refuses %s=%s with an error naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as ConfigError).message).toMatch(new RegExp(`^${name}: \\S`));
    expect((error as ConfigError).message).not.toContain('\n');
  });
});
