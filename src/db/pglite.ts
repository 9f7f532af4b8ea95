import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import {
  counting,
  MIGRATIONS,
  type Database,
  type Db,
  type QueryCounter,
} from './database-types.js';
import * as schema from './schema.js';

/**
 * PostgreSQL's default 128 MB of shared buffers live inside PGlite's WebAssembly heap, resident
 * once touched, on top of the OS page cache that holds the same files: 16 MB keeps the hot
 * pages (indexes, recent messages) and takes about 150 MB off the embedded server's resident
 * memory (BENCHMARKS.md, "PGlite memory").
 */
const SHARED_BUFFERS = '16MB';

const options = () => ({
  extensions: { pg_trgm },
  startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
});

/** Opens (creating if needed) and migrates the embedded database in this process. */
export async function openAndMigrate(dataDir: string): Promise<PGlite> {
  mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, options());
  try {
    await migrate(drizzle({ client, schema }), { migrationsFolder: MIGRATIONS });
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
  return client;
}

// The child runs the compiled script beside this one, or the TypeScript source under tsx.
const here = fileURLToPath(import.meta.url);
const INIT_SCRIPT = path.join(path.dirname(here), `pglite-init${path.extname(here)}`);

/**
 * A new database is created (initdb) and migrated by a short-lived child process: initdb's
 * WebAssembly run peaks near 800 MB, and a process never hands that memory back, so doing it
 * here would leave the server ~100 MB larger for its whole life.
 */
async function initInChild(dataDir: string): Promise<void> {
  const execArgv = INIT_SCRIPT.endsWith('.ts') ? ['--import', 'tsx'] : [];
  await promisify(execFile)(process.execPath, [...execArgv, INIT_SCRIPT, dataDir], {
    maxBuffer: 4 * 1024 * 1024,
  });
}

export async function openPglite(dataDir: string, onQuery?: QueryCounter): Promise<Database> {
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initInChild(dataDir);
  const client = await openAndMigrate(dataDir);
  const db = drizzle({ client, schema, ...counting(onQuery) }) as unknown as Db;
  return {
    db,
    driver: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}
