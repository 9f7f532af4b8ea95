import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import { isDatabaseUnavailable } from '../db/database.js';
import { AppError, type ErrorCode } from '../errors.js';
import { bearerToken, type Authenticator } from '../modules/auth/authenticator.js';
import type { Principal, UserPrincipal } from '../modules/auth/principal.js';
import type { GroupAccess, GroupService } from '../modules/groups/groups.service.js';
import { enforce } from '../modules/auth/policy.js';
import { canGroupMessages } from '../modules/messages/messages.policy.js';
import { CLIENT_ID_MAX } from '../protocol/messages.js';
import type { FastifyBaseLogger } from 'fastify';
import type { OriginPolicy } from '../http/origins.js';
import { redactUrl } from '../http/server.js';
import { parseEvents, type GroupSocketFilter } from './group-events.js';

/** A refusal decided before the upgrade; answered as HTTP with the JSON error body. */
export class UpgradeRefused extends AppError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

export interface Authorized {
  principal: Principal & { expiresAt?: number; sessionId?: string };
  orgId: string;
  groupId: string;
  access: GroupAccess;
  clientId: string | null;
  sinceSeq: number | undefined;
  /** What the socket sends beyond messages and broadcasts (`events=`). */
  events: GroupSocketFilter;
}

const PATH = /^\/ws\/orgs\/([^/]+)\/groups\/([^/]+)\/?$/;
/** The seed's DM socket: `/ws/dm/{userId}`, or `/ws/dm` for the token's user. */
const DM_PATH = /^\/ws\/dm(?:\/([^/]+))?\/?$/;

export const isDmSocketPath = (url: string | undefined): boolean =>
  DM_PATH.test((url ?? '/').split('?')[0]!);

/** Browsers always send Origin; other clients usually do not, and pass (see OriginPolicy). */
export function originAllowed(req: IncomingMessage, policy: OriginPolicy): boolean {
  return policy.allows(req.headers.origin, req.headers.host);
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
};

/** Origin (403), then the token (401): the first checks of every socket upgrade. */
async function admit(
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
function clientIdOf(url: URL): string | null {
  const clientId = url.searchParams.get('clientId') || null;
  if (clientId !== null && clientId.length > CLIENT_ID_MAX) {
    throw new UpgradeRefused('bad_request', `query.clientId is longer than ${CLIENT_ID_MAX}`);
  }
  return clientId;
}

/**
 * Decides an upgrade: path, Origin (403), token (401), the group (404: unknown, another
 * org's, or private and not the caller's), then the query (400). Throws an AppError.
 */
export async function authorize(
  req: IncomingMessage,
  deps: {
    config: Config;
    origins: OriginPolicy;
    authenticator: Authenticator;
    groups: GroupService;
  },
): Promise<Authorized> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const m = PATH.exec(url.pathname);
  if (!m) throw new UpgradeRefused('not_found', `no socket at ${url.pathname}`);
  const principal = await admit(req, url, deps);
  const orgId = decode(m[1]!);
  const groupId = decode(m[2]!);
  const access = await deps.groups.access(principal, orgId, groupId);
  // This socket both delivers and takes messages: an API key needs messages:read and
  // messages:write for it (403 naming the one it lacks), so that no frame it sends is refused.
  if (principal.kind === 'apiKey') {
    enforce(canGroupMessages(principal, 'read', access.resource));
    enforce(canGroupMessages(principal, 'post', access.resource));
  }

  const rawSince = url.searchParams.get('since_seq');
  let sinceSeq: number | undefined;
  if (rawSince !== null && rawSince !== '') {
    if (!/^\d{1,15}$/.test(rawSince)) {
      throw new UpgradeRefused('bad_request', 'query.since_seq must be a whole number >= 0');
    }
    sinceSeq = Number(rawSince);
  }
  const clientId = clientIdOf(url);
  const events = parseEvents(url.searchParams.get('events'));
  return { principal, orgId, groupId, access, clientId, sinceSeq, events };
}

export interface AuthorizedDm {
  principal: UserPrincipal & { expiresAt?: number; sessionId?: string };
  orgId: string;
  clientId: string | null;
}

/**
 * Decides a DM socket upgrade: Origin (403), token (401), then the user: the token's user
 * must be `userId` (403 otherwise, the operator included: it has no DMs), then the query.
 */
export async function authorizeDm(
  req: IncomingMessage,
  deps: { origins: OriginPolicy; authenticator: Authenticator },
): Promise<AuthorizedDm> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const m = DM_PATH.exec(url.pathname);
  if (!m) throw new UpgradeRefused('not_found', `no socket at ${url.pathname}`);
  const principal = await admit(req, url, deps);
  if (principal.kind !== 'user') {
    throw new UpgradeRefused('forbidden', 'direct messages are between users');
  }
  const userId = m[1] === undefined ? principal.id : decode(m[1]).toLowerCase();
  if (userId !== principal.id.toLowerCase()) {
    throw new UpgradeRefused('forbidden', 'you may only open your own direct messages');
  }
  const clientId = clientIdOf(url);
  return { principal, orgId: principal.orgId, clientId };
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
