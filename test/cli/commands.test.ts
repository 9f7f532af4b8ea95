import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, dropDatabase, freshDatabase, startApp } from '../helpers/app.js';
import { adminPool, testDatabaseUrl, withDatabase } from '../helpers/postgres.js';
import { cliEnv, runCli, type Where } from './run-cli.js';

/**
 * `orghub`, run as a real process on the suite's backend: help and usage errors, migrate on an
 * empty database, create-org and create-user that a server then signs in with, and the
 * embedded database refused while a server holds DATA_DIR.
 */

const onPostgres = testDatabaseUrl() !== undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function fresh(): Promise<Where> {
  const where = await freshDatabase();
  cleanups.push(() => dropDatabase(where));
  return where;
}

/** A database nothing was ever applied to: an empty directory, or an empty PostgreSQL database. */
async function empty(): Promise<Where> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orghub-cli-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const url = testDatabaseUrl();
  if (!url) return { dataDir, databaseUrl: undefined };
  const name = `orghub_cli_${process.pid}_${Date.now()}`;
  const pool = adminPool(url);
  await pool.query(`CREATE DATABASE ${name}`);
  await pool.end();
  const where = { dataDir, databaseUrl: withDatabase(url, name) };
  cleanups.push(() => dropDatabase(where));
  return where;
}

const COMMANDS = [
  'serve',
  'migrate',
  'create-org',
  'create-user',
  'create-api-key',
  'backup',
  'restore',
];

describe('orghub: help and usage', { timeout: 60_000 }, () => {
  const env = cliEnv({ dataDir: '/nonexistent/orghub', databaseUrl: undefined });

  it('--help lists every command and the exit codes; each command has its own --help', async () => {
    const top = await runCli(['--help'], env);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    expect(top.stdout).toMatch(/Exit codes: 0 done, 1 failed, 2 wrong usage, 3 already exists/);
    const helps = await Promise.all(COMMANDS.map((c) => runCli([c, '--help'], env)));
    helps.forEach((h, i) => {
      expect(h.code, COMMANDS[i]).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage: orghub ${COMMANDS[i]}`));
      expect(h.stdout).toMatch(/Example/);
    });
    expect((await runCli(['help', 'backup'], env)).stdout).toMatch(/^Usage: orghub backup <file>/);
  });

  it('wrong usage exits 2 with one line naming what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: orghub <command>/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['create-org', 'acme', '--nme', 'x'], /unknown option --nme/],
      [['create-org'], /expects the org id/],
      [['create-org', 'acme'], /--name is required/],
      [['migrate', 'extra'], /takes no arguments/],
      [['backup'], /expects the file to write/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('a bad environment variable exits 1 naming it, as the server does', async () => {
    const r = await runCli(['migrate'], { ...env, DATABASE_URL: 'mysql://db/x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^orghub migrate: configuration error: DATABASE_URL: must start with postgres:/,
    );
  });
});

describe('orghub migrate', { timeout: 120_000 }, () => {
  it('applies every migration to an empty database, then finds it up to date', async () => {
    const where = await empty();
    const first = await runCli(['migrate'], cliEnv(where));
    expect(first.stderr).toBe('');
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^applied \d+ migration\(s\) to .*: 0000_extensions, 0001_init/);
    const again = await runCli(['migrate'], cliEnv(where));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/is up to date \(\d+ migrations, newest \d{4}_\w+\)/);
  });

  it.runIf(onPostgres)(
    'names DATABASE_URL when PostgreSQL cannot be reached (exit 1)',
    async () => {
      const where = { dataDir: '/tmp', databaseUrl: 'postgres://postgres@127.0.0.1:1/none' };
      const r = await runCli(['migrate'], cliEnv(where));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /cannot connect to PostgreSQL given by DATABASE_URL \(127\.0\.0\.1:1\/none\)/,
      );
    },
  );
});

describe('orghub create-org and create-user', { timeout: 120_000 }, () => {
  it('create what the server then signs in with; a repeat exits 3, bad input 2 naming the option', async () => {
    const where = await fresh();
    const env = cliEnv(where);
    const org = await runCli(['create-org', 'cli-acme', '--name', 'Acme Inc.', '--json'], env);
    expect(org.stderr).toBe('');
    expect(JSON.parse(org.stdout)).toMatchObject({ id: 'cli-acme', name: 'Acme Inc.' });
    const user = await runCli(
      [
        'create-user',
        '--org',
        'cli-acme',
        '--username',
        'alice',
        '--email',
        'alice@acme.test',
      ].concat(['--role', 'admin', '--password-stdin']),
      env,
      'piped-secret-pass\n',
    );
    expect(user.code, user.stderr).toBe(0);
    expect(user.stdout).toMatch(/^created admin alice in cli-acme \(id [0-9a-f-]{36}\)\n$/);

    const again = await runCli(['create-org', 'cli-acme', '--name', 'Again'], env);
    expect(again).toMatchObject({ code: 3 });
    expect(again.stderr).toMatch(/org "cli-acme" already exists/);
    const bad = await runCli(
      ['create-user', '--org', 'cli-acme', '--username', 'bob', '--email', 'not-an-email'].concat([
        '--password',
        'long-enough-pass',
      ]),
      env,
    );
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toMatch(/--email must be a valid email/);
    const noOrg = await runCli(
      ['create-user', '--org', 'nowhere', '--username', 'bob', '--email', 'b@acme.test'].concat([
        '--password',
        'long-enough-pass',
      ]),
      env,
    );
    expect(noOrg.code).toBe(1);
    expect(noOrg.stderr).toMatch(/not found/);

    // The server signs alice in with the piped password.
    const server = await startApp({ reuse: where, keepData: true });
    cleanups.push(() => server.close());
    const login = await api(server, 'POST', '/api/v1/auth/login', {
      body: { org_id: 'cli-acme', username: 'alice', password: 'piped-secret-pass' },
    });
    expect(login.status).toBe(200);

    // While it runs: PostgreSQL is shared, the embedded database is the server's alone.
    const during = await runCli(['create-org', 'cli-during', '--name', 'During'], env);
    if (onPostgres) {
      expect(during.code, during.stderr).toBe(0);
      const orgs = await api<Array<{ id: string }>>(server, 'GET', '/api/v1/orgs', {
        token: server.operatorToken,
      });
      expect(orgs.body.map((o) => o.id)).toContain('cli-during');
    } else {
      expect(during.code).toBe(1);
      expect(during.stderr).toMatch(
        /DATA_DIR .* is in use by a running OrgHub server .*: stop it first, or make this call over HTTP/,
      );
    }
  });
});

describe('orghub create-api-key', { timeout: 120_000 }, () => {
  it('prints a key (once) that a server then accepts within its scopes; bad scopes exit 2', async () => {
    const where = await fresh();
    const env = cliEnv(where);
    expect((await runCli(['create-org', 'cli-keys', '--name', 'Keys'], env)).code).toBe(0);
    const created = await runCli(
      ['create-api-key', '--org', 'cli-keys', '--name', 'deploy-bot'].concat([
        '--scopes',
        'messages:read, users:read',
      ]),
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^created API key deploy-bot in cli-keys \(id [0-9a-f-]{36}\), scopes messages:read, users:read, public groups/,
    );
    const key = lines.at(-1)!;
    expect(key).toMatch(/^ohk_[A-Za-z0-9_-]{43}$/);

    const bad = await runCli(
      ['create-api-key', '--org', 'cli-keys', '--name', 'x', '--scopes', 'everything'],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scopes/);
    const missing = await runCli(['create-api-key', '--org', 'cli-keys', '--name', 'x'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--scopes is required/);

    const server = await startApp({ reuse: where, keepData: true });
    cleanups.push(() => server.close());
    const users = await api(server, 'GET', '/api/v1/orgs/cli-keys/users', { token: key });
    expect(users.status).toBe(200);
    const tasks = await api(server, 'GET', '/api/v1/orgs/cli-keys/tasks', { token: key });
    expect(tasks.status).toBe(403);
  });
});
