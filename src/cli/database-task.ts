import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { openPglite, openPostgres, type Database } from '../db/database.js';
import { lockDataDir } from '../shared/data-dir.js';
import { describeStartupError } from '../startup-error.js';
import { CliError } from './command.js';

/** The embedded database's directory inside DATA_DIR (what the server opens). */
export const pgliteDir = (config: Config) => path.join(config.dataDir, 'pg');

/** True when DATA_DIR already holds an embedded database. */
export const hasPgliteDatabase = (config: Config) =>
  existsSync(path.join(pgliteDir(config), 'PG_VERSION'));

/**
 * Takes DATA_DIR's lock for a one-shot task on the embedded database: while a server runs on
 * it, the task must not open it (two PGlite instances on one directory corrupt it).
 */
export async function lockForTask(config: Config, hint = ''): Promise<() => Promise<void>> {
  try {
    return await lockDataDir(config.dataDir);
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'ELOCKED') {
      throw new CliError(
        `DATA_DIR ${config.dataDir} is in use by a running OrgHub server (or one that stopped less than 10 s ago): stop it first${hint}`,
      );
    }
    throw new CliError(`cannot lock DATA_DIR ${config.dataDir}: ${(err as Error).message}`);
  }
}

/** Any failure to open the configured database, as one line naming what was configured. */
export function openError(err: unknown, config: Config): CliError {
  if (err instanceof CliError) return err;
  return new CliError(describeStartupError(err, config.databaseUrl));
}

/**
 * Opens the configured database (applying migrations, as the server does at start) under the
 * DATA_DIR lock when it is the embedded one (taken here unless the caller holds it already);
 * `close` releases both.
 */
export async function openForTask(
  config: Config,
  opts: { locked?: boolean } = {},
): Promise<Database> {
  const unlock = config.databaseUrl || opts.locked ? undefined : await lockForTask(config);
  try {
    const database = config.databaseUrl
      ? await openPostgres(config.databaseUrl, {
          poolSize: 2,
          statementTimeoutMs: config.dbStatementTimeoutMs,
        })
      : await openPglite(pgliteDir(config));
    return {
      ...database,
      async close() {
        await database.close();
        await unlock?.();
      },
    };
  } catch (err) {
    await unlock?.();
    throw openError(err, config);
  }
}
