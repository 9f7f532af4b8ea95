import pg from 'pg';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh PostgreSQL database for one bench run, created and dropped here so the bench never
 * touches anyone else's data. Resolves with its URL, or with the reason PostgreSQL is unusable.
 */
export async function createBenchDatabase(): Promise<{ url: string } | { reason: string }> {
  const name = `orghub_bench_${Date.now().toString(36)}_${process.pid}`;
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    return { reason: `PostgreSQL at ${ADMIN_URL} unusable: ${(err as Error).message}` };
  } finally {
    await client.end().catch(() => {});
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString() };
}

export async function dropBenchDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^orghub_bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end().catch(() => {});
  }
}
