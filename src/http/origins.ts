import type { Config } from '../config.js';

/**
 * Which browser origins may talk to this server: open sockets, and call the REST API
 * cross-origin (CORS). One policy for both, so the two can never disagree.
 *
 * Allowed: every origin in `ALLOWED_ORIGINS` (`*` allows any), the server's own public origin
 * (`PUBLIC_URL`), and a page on a loopback host (`localhost`, `127.x.y.z`, `[::1]`) whose
 * origin is the request's own `Host` (the web app served by this server on a developer's
 * machine). Never "any Origin whose host equals the Host header": behind DNS rebinding an
 * attacker's page names its own host there. A request without `Origin` is not a browser's
 * cross-origin request and passes (tokens still decide who it is).
 */
export interface OriginPolicy {
  /** May a request carrying this `Origin` (and `Host`) proceed? */
  allows(origin: string | undefined, host: string | undefined): boolean;
  /** The origins that get CORS headers: cross-origin callers named by configuration. */
  corsAllows(origin: string): boolean;
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/** `https://app.example.com/` → `https://app.example.com`; undefined when not an origin. */
function normalize(origin: string): string | undefined {
  if (origin === 'null') return undefined;
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

export function createOriginPolicy(
  config: Pick<Config, 'allowedOrigins' | 'publicUrl'>,
): OriginPolicy {
  const listed = new Set(config.allowedOrigins.filter((o) => o !== '*'));
  const any = config.allowedOrigins.includes('*');
  const own = config.publicUrl === undefined ? undefined : new URL(config.publicUrl).origin;
  const corsAllows = (origin: string): boolean => {
    const o = normalize(origin);
    return o !== undefined && (any || listed.has(o));
  };
  return {
    corsAllows,
    allows(origin, host) {
      if (origin === undefined) return true;
      const o = normalize(origin);
      if (o === undefined) return false;
      if (any || listed.has(o) || o === own) return true;
      const originHost = new URL(o).host;
      return host !== undefined && LOOPBACK_HOST.test(originHost) && originHost === host;
    },
  };
}
