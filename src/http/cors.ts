import cors from '@fastify/cors';
import type { Api } from './api.js';
import type { OriginPolicy } from './origins.js';

/** How long a browser may reuse a preflight's answer (seconds; Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE_SEC = 600;

/**
 * Cross-origin REST for the browser origins the one OriginPolicy names (`ALLOWED_ORIGINS`):
 * preflights answered 204 with the methods and headers a client of this API sends, the
 * origin echoed with `Vary: Origin`, and the headers a client reads exposed. Credentials stay
 * off: callers authenticate with a bearer token, never a cookie. Any other origin gets no
 * `Access-Control-Allow-*` header at all, and its preflight the plain 404 of a route that
 * does not exist, so the browser refuses the call.
 */
export async function installCors(app: Api, origins: OriginPolicy): Promise<void> {
  await app.register(cors, {
    origin: (origin, done) => done(null, origin !== undefined && origins.corsAllows(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // If-Match: the optimistic-concurrency precondition of task updates and deletes.
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-ID', 'If-Match'],
    exposedHeaders: ['X-Request-ID', 'ETag', 'Retry-After'],
    credentials: false,
    maxAge: PREFLIGHT_MAX_AGE_SEC,
    // An OPTIONS without Access-Control-Request-Method would get a text/plain 400 from the
    // plugin; answering it like any preflight keeps every error body in the API's shape.
    strictPreflight: false,
  });
}
