import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, dropDatabase, freshDatabase, startApp, type TestApp } from '../helpers/app.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { missingBinaries, skipSuite } from '../helpers/requires.js';
import { cliEnv, runCli } from './run-cli.js';

/**
 * `orghub backup` and `orghub restore` as real processes on the suite's backend: PGlite's own
 * dump on the embedded database, pg_dump / pg_restore on PostgreSQL. What a restore brings
 * back is checked through a server started on the restored data.
 */

const onPostgres = testDatabaseUrl() !== undefined;
// On PostgreSQL a backup is pg_dump's and a restore pg_restore's: without them it cannot run.
const noPgTools =
  onPostgres &&
  skipSuite(
    'backup and restore on PostgreSQL (test/cli/backup.test.ts)',
    missingBinaries('pg_dump', 'pg_restore'),
    "install PostgreSQL's client tools (apt-get install postgresql-client) or run .ci/run",
  );
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function tempDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orghub-backup-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const orgIds = async (t: TestApp) =>
  (await api<Array<{ id: string }>>(t, 'GET', '/api/v1/orgs', { token: t.operatorToken })).body
    .map((o) => o.id)
    .sort();

describe.skipIf(noPgTools)('orghub backup and restore', { timeout: 180_000 }, () => {
  it('a restore brings back exactly what the backup held, and refuses to overwrite without --force', async () => {
    const where = await freshDatabase();
    cleanups.push(() => dropDatabase(where));
    const env = cliEnv(where);
    const file = path.join(await tempDir(), onPostgres ? 'orghub.pgdump' : 'orghub.tar.gz');

    // Data written through a server: an org, a user, a group and a message.
    let server = await startApp({ reuse: where, keepData: true });
    const op = server.operatorToken;
    await api(server, 'POST', '/api/v1/orgs', { token: op, body: { id: 'kept', name: 'Kept' } });
    const alice = await api(server, 'POST', '/api/v1/users', {
      token: op,
      body: { org_id: 'kept', username: 'alice', email: 'a@kept.test', password: 'kept-password' },
    });
    expect(alice.status).toBe(201);
    await api(server, 'POST', '/api/v1/orgs/kept/groups', {
      token: op,
      body: { id: 'eng', name: 'Engineering' },
    });
    const sent = await api(server, 'POST', '/api/v1/orgs/kept/groups/eng/broadcast', {
      token: op,
      body: { content: 'in the backup' },
    });
    expect(sent.status).toBeLessThan(300);

    if (onPostgres) {
      // pg_dump takes a consistent snapshot while the nodes keep running.
      const b = await runCli(['backup', file], env);
      expect(b.code, b.stderr).toBe(0);
      await server.close();
    } else {
      // The embedded database is the server's alone while it runs.
      const refused = await runCli(['backup', file], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/DATA_DIR .* is in use by a running OrgHub server/);
      await server.close();
      const b = await runCli(['backup', file], env);
      expect(b.code, b.stderr).toBe(0);
    }
    const before = await readdir(path.dirname(file));
    expect(before).toEqual([path.basename(file)]); // no temporary file left behind

    // Changes after the backup: they must be gone after the restore.
    const later = await runCli(['create-org', 'later', '--name', 'Later'], env);
    expect(later.code, later.stderr).toBe(0);

    const refused = await runCli(['restore', file], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds .*: pass --force to replace it/);
    const restored = await runCli(['restore', file, '--force'], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/it holds \d+ orgs, \d+ users, 1 messages, 0 tasks/);
    if (!onPostgres) {
      expect(restored.stdout).toMatch(/the database it replaced is kept in .*pg\.replaced-/);
    }

    server = await startApp({ reuse: where, keepData: true });
    cleanups.push(() => server.close());
    const ids = await orgIds(server);
    expect(ids).toContain('kept');
    expect(ids).not.toContain('later');
    const login = await api(server, 'POST', '/api/v1/auth/login', {
      body: { org_id: 'kept', username: 'alice', password: 'kept-password' },
    });
    expect(login.status).toBe(200);
    const history = await api<{ messages: Array<{ content: string }> }>(
      server,
      'GET',
      '/api/v1/orgs/kept/groups/eng/messages',
      { token: op },
    );
    expect(history.body.messages.map((m) => m.content)).toEqual(['in the backup']);
  });

  it('refuses a file of the other backend, or none at all, with a clear message', async () => {
    const dir = await tempDir();
    const where = { dataDir: dir, databaseUrl: testDatabaseUrl() };
    const foreign = path.join(dir, 'foreign');
    await writeFile(foreign, onPostgres ? Buffer.from([0x1f, 0x8b, 8, 0]) : 'PGDMP\u0001');
    const r = await runCli(['restore', foreign], cliEnv(where));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      onPostgres
        ? /is an embedded \(PGlite\) backup: restore it without DATABASE_URL/
        : /is a PostgreSQL \(pg_dump\) backup: restore it with DATABASE_URL set/,
    );
    const junk = path.join(dir, 'junk');
    await writeFile(junk, 'hello');
    expect((await runCli(['restore', junk], cliEnv(where))).stderr).toMatch(
      /is not a backup written by orghub backup/,
    );
    expect((await runCli(['restore', path.join(dir, 'missing')], cliEnv(where))).stderr).toMatch(
      /cannot read .*missing: ENOENT/,
    );
  });

  it.runIf(onPostgres)(
    'without pg_dump on PATH: a clear message saying what to install',
    async () => {
      const where = await freshDatabase();
      cleanups.push(() => dropDatabase(where));
      const file = path.join(await tempDir(), 'x.pgdump');
      const r = await runCli(['backup', file], cliEnv(where, { PATH: '/nonexistent' }));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /pg_dump is not installed \(not on PATH\): install PostgreSQL's client tools/,
      );
    },
  );
});
