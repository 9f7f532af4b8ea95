import pg from 'pg';

/** The PostgreSQL server the suite runs against, when DATABASE_URL is set; PGlite otherwise. */
export const testDatabaseUrl = (): string | undefined => process.env['DATABASE_URL'] || undefined;

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export const adminPool = (url: string) =>
  new pg.Pool({ connectionString: withDatabase(url, 'postgres'), max: 2 });
