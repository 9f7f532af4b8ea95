import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../errors.js';
import { textFault } from '../shared/text.js';

/**
 * PostgreSQL text holds neither U+0000 nor a lone surrogate (see textFault): one that reached
 * a query would fail there as a 5xx, or be silently altered. JSON and URLs can carry both
 * (`"\u0000"`, `"\ud800"`, `%00`), so every request is checked up front: in a path it is a
 * malformed id (404), in the query or body a bad field (400, named).
 */
export function installTextGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    if (findFault(request.params) !== undefined) throw notFound('resource');
    const inQuery = findFault(request.query);
    if (inQuery !== undefined) throw badRequest(`${join('query', inQuery.path)} ${inQuery.fault}`);
    const inBody = findFault(request.body);
    if (inBody !== undefined) throw badRequest(`${join('body', inBody.path)} ${inBody.fault}`);
  });
}

const join = (root: string, path: string) => (path ? `${root}.${path}` : root);

interface Found {
  path: string;
  fault: string;
}

/** The first string (value or key) PostgreSQL cannot store, with its path, or undefined. */
function findFault(value: unknown, path = '', depth = 0): Found | undefined {
  if (typeof value === 'string') {
    const fault = textFault(value);
    return fault === undefined ? undefined : { path, fault };
  }
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    const keyFault = textFault(k);
    if (keyFault !== undefined) return { path: path || '(a key)', fault: keyFault };
    const found = findFault(v, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
