import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isDatabaseUnavailable } from '../../db/database.js';
import { AppError, type ErrorCode } from '../../errors.js';
import { bearerToken, type Authenticator } from '../../modules/auth/authenticator.js';
import { CLIENT_ID_MAX } from '../../protocol/messages.js';
import type { FastifyBaseLogger } from 'fastify';
import type { OriginPolicy } from '../../http/origins.js';
import { redactUrl } from '../../http/server.js';

/** A refusal decided before the upgrade; answered as HTTP with the JSON error body. */
export class UpgradeRefused extends AppError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

/** Browsers always send Origin; other clients usually do not, and pass (see OriginPolicy). */
export function originAllowed(req: IncomingMessage, policy: OriginPolicy): boolean {
  return policy.allows(req.headers.origin, req.headers.host);
}

/** A path segment decoded ('' when it is not valid percent-encoding). */
export const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
};

/** Origin (403), then the token (401): the first checks of every socket upgrade. */
export async function admit(
  req: IncomingMessage,
  url: URL,
  deps: { origins: OriginPolicy; authenticator: Authenticator },
) {
  if (!originAllowed(req, deps.origins)) {
    throw new UpgradeRefused('forbidden', 'this Origin is not allowed (ALLOWED_ORIGINS)');
  }
  const token =
    bearerToken(req.headers.authorization) ?? url.searchParams.get('access_token') ?? undefined;
  const principal = await deps.authenticator.authenticate(token);
  if (!principal) throw new UpgradeRefused('unauthorized', 'missing, invalid or expired token');
  return principal;
}

/** The optional `clientId` label (400 past CLIENT_ID_MAX). */
export function clientIdOf(url: URL): string | null {
  const clientId = url.searchParams.get('clientId') || null;
  if (clientId !== null && clientId.length > CLIENT_ID_MAX) {
    throw new UpgradeRefused('bad_request', `query.clientId is longer than ${CLIENT_ID_MAX}`);
  }
  return clientId;
}

/**
 * Logs a refused upgrade by what it is: a 503 (the database down, shutting down) is the
 * server working as meant, a warn line without a stack; any other 5xx is a defect, an error
 * with its stack; a client's mistake (4xx) is debug.
 */
export function logRefusal(
  log: FastifyBaseLogger,
  req: IncomingMessage,
  err: unknown,
  refused: { status: number; message: string },
): void {
  const url = redactUrl(req.url ?? '');
  if (refused.status === 503) {
    log.warn({ url, status: refused.status, reason: refused.message }, 'socket upgrade refused');
  } else if (refused.status >= 500 && !(err instanceof UpgradeRefused)) {
    log.error({ err, url }, 'socket upgrade failed');
  } else {
    log.debug({ url, status: refused.status }, 'socket upgrade refused');
  }
}

/** Writes the HTTP refusal and ends the socket. */
export function refuse(socket: Duplex, err: unknown): { status: number; message: string } {
  let e: AppError;
  if (err instanceof AppError) e = err;
  else if (isDatabaseUnavailable(err))
    e = new AppError('unavailable', 'the database is unavailable');
  else e = new AppError('internal', 'internal server error');
  const body = JSON.stringify({ error: e.message, code: e.code });
  if (!socket.destroyed && socket.writable) {
    const headers = [
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? 'Error'}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      ...(e.retryAfterSec !== undefined ? [`Retry-After: ${e.retryAfterSec}`] : []),
    ];
    socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
  } else {
    socket.destroy();
  }
  return { status: e.status, message: e.message };
}
