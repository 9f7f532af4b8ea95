/** One line for why the server (or an `orghub` command) could not open its services. */
export function describeStartupError(err: unknown, databaseUrl: string | undefined): string {
  const e = err as { code?: string; message?: string };
  if (
    databaseUrl &&
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', '28P01', '3D000', '28000'].includes(e.code ?? '')
  ) {
    const u = new URL(databaseUrl);
    return `cannot connect to PostgreSQL given by DATABASE_URL (${u.hostname}:${u.port || 5432}${u.pathname}): ${e.message ?? e.code}`;
  }
  return e.message ?? String(err);
}
