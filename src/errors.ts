/**
 * The one set of error codes OrgHub answers with, and their HTTP status. Routes and the
 * socket gateway throw these; `http/error-handler.ts` and the gateway render them.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  version_conflict: 412,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const badRequest = (message: string) => new AppError('bad_request', message);
export const unauthorized = (message = 'authentication required') =>
  new AppError('unauthorized', message);
export const forbidden = (message = 'not allowed') => new AppError('forbidden', message);
export const notFound = (what = 'resource') => new AppError('not_found', `${what} not found`);
export const conflict = (message: string) => new AppError('conflict', message);
export const versionConflict = (current: number) =>
  new AppError('version_conflict', `version mismatch: the current version is ${current}`);
export const rateLimited = (retryAfterSec: number) =>
  new AppError(
    'rate_limited',
    'too many requests, slow down',
    Math.max(1, Math.ceil(retryAfterSec)),
  );
export const unavailable = (message = 'service temporarily unavailable') =>
  new AppError('unavailable', message);

export interface ErrorBody {
  error: string;
  code: ErrorCode;
}

export const errorBody = (e: AppError): ErrorBody => ({ error: e.message, code: e.code });
