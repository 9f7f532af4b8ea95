import { spawn } from 'node:child_process';
import { rename, rm, stat } from 'node:fs/promises';
import pg from 'pg';
import { CliError } from './command.js';

/**
 * Backups of a PostgreSQL database with PostgreSQL's own tools: `pg_dump --format=custom`
 * and `pg_restore`. They must be installed (a major version at least the server's); the
 * password goes to them in PGPASSWORD, never on their command line.
 */

export const isPostgresBackup = (head: Buffer) => head.subarray(0, 5).toString() === 'PGDMP';

/** The URL without its password (for argv) and the environment carrying it. */
function connection(databaseUrl: string): { url: string; env: NodeJS.ProcessEnv } {
  const u = new URL(databaseUrl);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), env: { ...process.env, ...(password && { PGPASSWORD: password }) } };
}

/** Runs a PostgreSQL client tool; a missing one is a clear error saying what to install. */
function runTool(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new CliError(
              `${tool} is not installed (not on PATH): install PostgreSQL's client tools, of the server's major version or newer (Debian: apt-get install postgresql-client), or run ${tool} yourself`,
            )
          : err,
      ),
    );
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new CliError(`${tool} failed (exit ${code}): ${stderr.trim().split('\n').join(' / ')}`),
          ),
    );
  });
}

export async function backupPostgres(databaseUrl: string, file: string): Promise<number> {
  const { url, env } = connection(databaseUrl);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await runTool(
      'pg_dump',
      ['--format=custom', '--no-owner', `--file=${tmp}`, `--dbname=${url}`],
      env,
    );
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return (await stat(file)).size;
}

/** True when the database already has OrgHub's tables. */
async function hasOrgHubTables(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string | null }>(
      `select to_regclass('public.orgs') as t`,
    );
    return rows[0]?.t !== null;
  } finally {
    await client.end();
  }
}

/**
 * Restores `file` into the configured database in one transaction (all or nothing); over
 * existing OrgHub tables only with `force` (they are dropped and replaced).
 */
export async function restorePostgres(databaseUrl: string, file: string, force: boolean) {
  if ((await hasOrgHubTables(databaseUrl)) && !force) {
    throw new CliError(
      'the database given by DATABASE_URL already holds OrgHub data: pass --force to replace it (stop every node first)',
    );
  }
  const { url, env } = connection(databaseUrl);
  await runTool(
    'pg_restore',
    [
      '--clean',
      '--if-exists',
      '--no-owner',
      '--single-transaction',
      '--exit-on-error',
      `--dbname=${url}`,
      file,
    ],
    env,
  );
}
