import { rename, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Config } from '../config.js';
import { CliError } from './command.js';
import { openPglite } from '../db/database.js';
import { hasPgliteDatabase, lockForTask, pgliteDir } from './database-task.js';

/**
 * Backups of the embedded database: PGlite's own dump of its data directory (a gzipped tar,
 * `dumpDataDir`), loaded back with `loadDataDir`. Both hold DATA_DIR's lock, so neither runs
 * while a server has the database open (a copy taken under a live server could be torn).
 */

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
export const isEmbeddedBackup = (head: Buffer) => head.subarray(0, 2).equals(GZIP_MAGIC);

/** Writes the dump to `file` (through a temporary file, so a failed run leaves no half file). */
export async function backupEmbedded(config: Config, file: string): Promise<number> {
  const unlock = await lockForTask(config);
  try {
    if (!hasPgliteDatabase(config)) {
      throw new CliError(`DATA_DIR ${config.dataDir} holds no embedded database to back up`);
    }
    const lite = await PGlite.create(pgliteDir(config), { extensions: { pg_trgm } });
    let dump: Blob;
    try {
      dump = await lite.dumpDataDir('gzip');
    } finally {
      await lite.close();
    }
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
    await rename(tmp, file);
    return (await stat(file)).size;
  } finally {
    await unlock();
  }
}

/**
 * Loads `file` into a new directory beside the current database, migrates it (a backup of
 * an older version is brought up to this one) and only then swaps it in; the database it
 * replaces is kept as `pg.replaced-<time>`. Returns that directory, if there was one.
 */
export async function restoreEmbedded(
  config: Config,
  dump: Buffer,
  force: boolean,
): Promise<string | undefined> {
  const unlock = await lockForTask(config);
  const target = pgliteDir(config);
  const staging = path.join(config.dataDir, `pg.restoring-${process.pid}`);
  try {
    if (hasPgliteDatabase(config) && !force) {
      throw new CliError(
        `DATA_DIR ${config.dataDir} already holds a database: pass --force to replace it (it is kept aside, not deleted)`,
      );
    }
    await rm(staging, { recursive: true, force: true });
    try {
      const lite = await PGlite.create(staging, {
        extensions: { pg_trgm },
        loadDataDir: new Blob([dump]),
      });
      await lite.close();
    } catch (err) {
      throw new CliError(`the file is not a PGlite dump: ${(err as Error).message}`);
    }
    // Brought to this version's schema before it replaces anything.
    await (await openPglite(staging)).close();
    let keptAs: string | undefined;
    if (hasPgliteDatabase(config)) {
      keptAs = path.join(
        config.dataDir,
        `pg.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      );
      await rename(target, keptAs);
    }
    await rename(staging, target);
    return keptAs;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  } finally {
    await unlock();
  }
}

export const readDump = (file: string) =>
  readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file}: ${err.code ?? err.message}`);
  });
