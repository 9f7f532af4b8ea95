import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { buildApp, type AppOptions, type OrgHubApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { hashPassword } from '../../src/modules/auth/passwords.js';
import { insertOrg } from '../../src/modules/orgs/orgs.repo.js';
import { insertUser } from '../../src/modules/users/users.repo.js';
import type { UserRow } from '../../src/db/schema.js';
import { adminPool, testDatabaseUrl, withDatabase } from './postgres.js';

export const PASSWORD = 'correct-horse-battery';
// One real scrypt hash for every fixture user: hashing costs ~0.4 s, so fixtures reuse it.
let passwordHash: Promise<string> | undefined;

export interface TestApp {
  app: OrgHubApp;
  url: string;
  wsUrl: string;
  operatorToken: string;
  /** Where this app keeps its data (a PGlite copy, or a cloned PostgreSQL database). */
  databaseUrl: string | undefined;
  dataDir: string;
  close(): Promise<void>;
}

export interface StartOptions extends Omit<AppOptions, 'config'> {
  config?: Partial<Config>;
  /** Reuse a database made by an earlier app (restart tests). */
  reuse?: { dataDir: string; databaseUrl: string | undefined };
  /** Keep the data when closing, so a later app can reuse it. */
  keepData?: boolean;
}

/** A fresh database for one app: a copy of the migrated template. */
export async function freshDatabase(): Promise<{
  dataDir: string;
  databaseUrl: string | undefined;
}> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orghub-app-'));
  const url = testDatabaseUrl();
  if (!url) {
    await cp(inject('pgliteTemplateDir'), dataDir, { recursive: true });
    return { dataDir, databaseUrl: undefined };
  }
  const name = `orghub_t${randomUUID().slice(0, 8)}_${inject('postgresTemplate').replace('orghub_tpl_', '')}`;
  const pool = adminPool(url);
  try {
    await pool.query(`CREATE DATABASE ${name} TEMPLATE ${inject('postgresTemplate')}`);
  } finally {
    await pool.end();
  }
  return { dataDir, databaseUrl: withDatabase(url, name) };
}

export async function dropDatabase(where: { dataDir: string; databaseUrl: string | undefined }) {
  await rm(where.dataDir, { recursive: true, force: true });
  if (where.databaseUrl) {
    const pool = adminPool(where.databaseUrl);
    try {
      await pool.query(
        `DROP DATABASE IF EXISTS ${new URL(where.databaseUrl).pathname.slice(1)} WITH (FORCE)`,
      );
    } finally {
      await pool.end();
    }
  }
}

export function testConfig(
  where: { dataDir: string; databaseUrl: string | undefined },
  overrides: Partial<Config> = {},
): Config {
  return {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    dataDir: where.dataDir,
    databaseUrl: where.databaseUrl,
    adminToken: 'test-operator-token-0123456789',
    jwtSecret: 'test-jwt-secret-0123456789-0123456789-abcdef',
    // Tests close apps with sockets open; a drain window would only slow every one down.
    shutdownDrainMs: 0,
    ...overrides,
  };
}

export async function startApp(opts: StartOptions = {}): Promise<TestApp> {
  const where = opts.reuse ?? (await freshDatabase());
  const config = testConfig(where, opts.config);
  const app = await buildApp({ ...opts, config });
  const url = await app.listen();
  return {
    app,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    operatorToken: app.secrets.adminToken,
    databaseUrl: where.databaseUrl,
    dataDir: where.dataDir,
    async close() {
      await app.close();
      if (!opts.keepData) await dropDatabase(where);
    },
  };
}

export interface Fixture {
  user: UserRow;
  token: string;
}

/** Fixtures write straight to the database; the routes themselves are tested elsewhere. */
export async function createOrg(
  t: TestApp,
  id = `org-${randomUUID().slice(0, 8)}`,
  name = 'Test Org',
) {
  return insertOrg(t.app.database.db, { id, name });
}

export async function createUser(
  t: TestApp,
  orgId: string,
  opts: { role?: 'admin' | 'member'; username?: string } = {},
): Promise<Fixture> {
  passwordHash ??= hashPassword(PASSWORD);
  const username = opts.username ?? `u${randomUUID().slice(0, 8)}`;
  const user = await insertUser(t.app.database.db, orgId, {
    username,
    email: `${username}@example.test`,
    fullName: `User ${username}`,
    passwordHash: await passwordHash,
    role: opts.role ?? 'member',
  });
  const { token } = await t.app.tokens.issueAccess(user);
  return { user, token };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A real HTTP request to the app (JSON in, JSON or text out). */
export async function api<T = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
  t: TestApp,
  method: string,
  pathname: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.url}${pathname}`, {
    method,
    headers,
    ...(body !== undefined && { body }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Captures log lines in memory (to assert that secrets never reach them). */
export function captureLogs(): { stream: DestinationStream; lines: string[] } {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) } };
}
