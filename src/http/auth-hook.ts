import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';
import { bearerToken, type Authenticator } from '../modules/auth/authenticator.js';
import type { Principal } from '../modules/auth/principal.js';
import type { Scope } from '../protocol/api-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a token (login, health, docs). Everything else needs one. */
    public?: boolean;
    /**
     * What an API key needs to call this route (`any`: every key of the org). A route that
     * names none is closed to API keys: a new route is not opened to them by accident.
     */
    scope?: Scope | 'any';
  }
}

/**
 * Authentication is on by default: every route under /api needs a verified token unless it
 * opts out with `config: { public: true }`, so a new route cannot forget it. An API key is
 * then held to the route's scope (403 naming it) before the route runs; what the key reaches
 * inside its org (which groups) its policies decide.
 */
export function installAuthHook(app: FastifyInstance, authenticator: Authenticator) {
  // Declared up front so every request object keeps one shape (V8 hidden classes).
  app.decorateRequest('principal' as never, null as never);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/api/') || request.routeOptions.config?.public) return;
    // Browsers send CORS preflights without credentials; the only OPTIONS route is the CORS
    // plugin's, which answers an allowed origin itself and anyone else 404 (http/cors.ts).
    if (request.method === 'OPTIONS') return;
    if (!request.routeOptions.url) return; // unmatched: the not-found handler answers 404
    const principal = await authenticator.authenticate(bearerToken(request.headers.authorization));
    if (!principal) throw unauthorized('missing, invalid or expired token');
    if (principal.kind === 'apiKey') {
      const scope = request.routeOptions.config?.scope;
      if (scope === undefined) throw forbidden('API keys cannot use this route');
      if (scope !== 'any' && !principal.scopes.includes(scope)) {
        throw forbidden(`this API key lacks the scope ${scope}`);
      }
    }
    request.principal = principal;
  });
}

/** The principal of an authenticated route. */
export const principalOf = (request: FastifyRequest): Principal => request.principal;
