import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS, errorBody, unavailable, type ErrorCode } from '../errors.js';
import { isDatabaseUnavailable } from '../db/database.js';
import { describeValidationError } from './validation.js';

const STATUS_CODE: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

/**
 * Renders every failure as `{error, code}`. Anything a client can send ends as a 4xx; a 5xx
 * means the server or its database failed, and is logged with its stack.
 */
export function installErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    let appErr: AppError;
    if (err instanceof AppError) {
      appErr = err;
    } else if ('validation' in err && err.validation?.length) {
      appErr = new AppError(
        'bad_request',
        describeValidationError(
          // Clients know it as the query; Fastify calls it the querystring.
          err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'body'),
          err.validation[0]!,
        ),
      );
    } else if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable');
      appErr = unavailable('the database is unavailable, try again shortly');
    } else if (
      typeof err.statusCode === 'number' &&
      err.statusCode >= 400 &&
      err.statusCode < 500
    ) {
      appErr = new AppError(STATUS_CODE[err.statusCode] ?? 'bad_request', clientMessage(err));
      if (err.statusCode === 415) {
        reply
          .status(415)
          .send({ error: 'Content-Type must be application/json', code: 'bad_request' });
        return;
      }
    } else {
      request.log.error({ err }, 'unhandled error');
      appErr = new AppError('internal', 'internal server error');
    }
    if (appErr.retryAfterSec !== undefined)
      reply.header('Retry-After', String(appErr.retryAfterSec));
    reply.status(appErr.status).send(errorBody(appErr));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: `no route ${request.method} ${request.url.split('?')[0]}`,
      code: 'not_found',
    });
  });
}

/**
 * Errors the router raises before any route runs (a path that does not decode, a path segment
 * longer than the router allows): a malformed id in a path is a 404 like any unknown id.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(404).send({
      error: `no resource at ${request.url.split('?')[0]!.slice(0, 200)}`,
      code: 'not_found',
    });
    return;
  }
  request.log.error({ err }, 'router error');
  void reply.status(500).send({ error: 'internal server error', code: 'internal' });
}

function clientMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body is not valid JSON';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Content-Type must be application/json';
    default:
      return err.message.replace(/^FST_\w+:\s*/, '');
  }
}
