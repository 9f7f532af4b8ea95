import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import {
  counting,
  MIGRATIONS,
  type Database,
  type Db,
  type QueryCounter,
} from './database-types.js';
import * as schema from './schema.js';

export type { Database, Db, QueryCounter, Tx } from './database-types.js';
export { openPglite } from './pglite.js';

/** Serialises migrations when several nodes start together on one PostgreSQL. */
const MIGRATION_LOCK_KEY = 728_153_901;

export interface PostgresOptions {
  poolSize: number;
  statementTimeoutMs: number;
  onError?: (err: Error) => void;
  onQuery?: QueryCounter;
}

export async function openPostgres(url: string, opts: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize,
    statement_timeout: opts.statementTimeoutMs,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // A connection that dies emits 'error' on its client, and Node ends the process for an
  // 'error' nobody listens to. The pool listens only while a client is idle (and re-emits on
  // the pool); a checked-out one (a transaction between statements, the migration lock) has
  // no listener at all. So every client gets its own for its whole life: the query in flight
  // fails by itself (clients see `unavailable`), the pool drops the broken client on release
  // and opens a new one when asked.
  pool.on('connect', (client) => client.on('error', (err) => opts.onError?.(err)));
  pool.on('error', () => {}); // the client's own listener above has reported it

  const lockClient = await pool.connect();
  try {
    await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migratePg(drizzlePg({ client: pool, schema }), { migrationsFolder: MIGRATIONS });
  } finally {
    await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    lockClient.release();
  }
  const db = drizzlePg({ client: pool, schema, ...counting(opts.onQuery) }) as unknown as Db;
  return {
    db,
    driver: 'postgres',
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => pool.end(),
  };
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08006',
  '57014', // query_canceled (statement timeout)
  '3D000', // invalid_catalog_name: the database was dropped or renamed under us
  '28000', // invalid_authorization_specification (e.g. pg_hba changed at runtime)
]);

/** True when an error means "the database is not answering", which clients see as 503. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|PGlite is closed|Cannot use a pool after calling end/i.test(
        message,
      )
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The SQLSTATE of a database error, looking through Drizzle's wrapping. */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isUniqueViolation = (err: unknown) => pgErrorCode(err) === '23505';
