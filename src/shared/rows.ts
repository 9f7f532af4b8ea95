/** Both drivers answer `execute` with rows, node-postgres in `.rows`, PGlite likewise. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
