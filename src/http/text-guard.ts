import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../errors.js';

/**
 * PostgreSQL text cannot hold U+0000: a NUL that reached a query would fail there as a 500.
 * JSON and URLs can carry one (`"\u0000"`, `%00`), so every request is checked up front: in
 * a path it is a malformed id (404), in the query or body a bad field (400, named).
 */
export function installTextGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    if (findNul(request.params) !== undefined) throw notFound('resource');
    const inQuery = findNul(request.query);
    if (inQuery !== undefined) throw badRequest(`${join('query', inQuery)} must not contain NUL`);
    const inBody = findNul(request.body);
    if (inBody !== undefined) throw badRequest(`${join('body', inBody)} must not contain NUL`);
  });
}

const join = (root: string, path: string) => (path ? `${root}.${path}` : root);

/** The path of the first string (value or key) holding U+0000, or undefined. */
function findNul(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (k.includes('\u0000')) return path || '(a key)';
    const found = findNul(v, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
