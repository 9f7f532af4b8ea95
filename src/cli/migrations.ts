import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Config } from '../config.js';
import { hasPgliteDatabase, pgliteDir } from './database-task.js';

/** drizzle-kit's journal: every migration's tag (`0001_init`) and its timestamp. */
interface Journal {
  entries: Array<{ tag: string; when: number }>;
}

export function journal(): Journal['entries'] {
  const file = new URL('../../drizzle/meta/_journal.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as Journal).entries;
}

// Drizzle's migrator records each applied migration here, keyed by the journal's `when`.
const APPLIED = 'select created_at from drizzle.__drizzle_migrations';
const UNDEFINED_TABLE = '42P01';
const UNDEFINED_SCHEMA = '3F000';

const missingTable = (err: unknown) =>
  [UNDEFINED_TABLE, UNDEFINED_SCHEMA].includes((err as { code?: string }).code ?? '');

/**
 * The tags of the migrations the database has, read without applying any (the caller holds
 * DATA_DIR's lock for the embedded database). A database never migrated has none.
 */
export async function appliedMigrations(config: Config): Promise<string[]> {
  let times: number[] = [];
  if (config.databaseUrl) {
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    try {
      times = (await client.query<{ created_at: string }>(APPLIED)).rows.map((r) =>
        Number(r.created_at),
      );
    } catch (err) {
      if (!missingTable(err)) throw err;
    } finally {
      await client.end();
    }
  } else if (hasPgliteDatabase(config)) {
    const lite = await PGlite.create(pgliteDir(config));
    try {
      times = (await lite.query<{ created_at: string }>(APPLIED)).rows.map((r) =>
        Number(r.created_at),
      );
    } catch (err) {
      if (!missingTable(err)) throw err;
    } finally {
      await lite.close();
    }
  }
  const applied = new Set(times);
  return journal()
    .filter((e) => applied.has(e.when))
    .map((e) => e.tag);
}
