import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

/** One typed query layer over both drivers; repositories only ever see this. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** What a transaction callback receives; every repository function accepts it as a `Db`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  readonly db: Db;
  readonly driver: 'pglite' | 'postgres';
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// src/db and dist/db both sit two levels below the package root, beside drizzle/.
export const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** Told of every query the application runs (for the `orghub_db_queries_total` metric). */
export type QueryCounter = () => void;
export const counting = (onQuery: QueryCounter | undefined) =>
  onQuery ? { logger: { logQuery: onQuery } } : {};
