import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { pino, type DestinationStream } from 'pino';
import type { Api } from './api.js';
import { installCors } from './cors.js';
import { createOriginPolicy } from './origins.js';
import type { Config } from '../config.js';
import { ErrorResponse } from '../protocol/common.js';
import type { Metrics } from '../modules/ops/metrics.js';
import { frameworkErrors, installErrorHandler } from './error-handler.js';
import { installTextGuard } from './text-guard.js';
import { OneLinePerRequest, prettyLogStream, resolveLogFormat } from './log-format.js';
import { createValidators } from './validation.js';
import { Group, Org } from '../protocol/orgs.js';
import { User } from '../protocol/users.js';
import { Task } from '../protocol/tasks.js';

/** Removes credentials from a URL before it is logged (browsers put tokens in the query). */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_token|token|refresh_token)=)[^&#]*/gi, '$1[REDACTED]');
}

export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.refresh_token',
  '*.access_token',
  '*.adminToken',
  '*.jwtSecret',
  'password',
  'refresh_token',
  'access_token',
];

/** helmet's default policy: a year, subdomains included. */
const HSTS = 'max-age=31536000; includeSubDomains';

export async function createHttpServer(opts: {
  config: Config;
  metrics: Metrics;
  logStream?: DestinationStream;
}): Promise<Api> {
  const { config, metrics } = opts;
  // A given stream (tests) is not a terminal; stdout is judged by isTTY.
  const format = resolveLogFormat(
    config.logFormat,
    !opts.logStream && process.stdout.isTTY === true,
  );
  // Both writers to stdout are synchronous, so log lines and the start banner (written to
  // stdout directly) come out in the order they happened; pino's default writer is
  // asynchronous and let a listening line land after the banner.
  const stream =
    format === 'pretty'
      ? await prettyLogStream(opts.logStream ?? 1)
      : (opts.logStream ?? pino.destination({ dest: 1, sync: true }));
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        req: (req: { method: string; url: string; id: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
          ip: req.ip,
        }),
      },
      stream,
    },
    // Readable logs get one line per request instead of Fastify's two.
    ...(format === 'pretty' && { logController: new OneLinePerRequest() }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    frameworkErrors,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const validators = createValidators();
  app.setValidatorCompiler(validators.compiler);
  for (const s of [ErrorResponse, Org, Group, User, Task]) {
    validators.addSchema(s);
    app.addSchema(s);
  }
  installErrorHandler(app);
  installTextGuard(app);

  // Once closing, answers to requests still in flight end their keep-alive connection;
  // otherwise the server would wait for clients to hang up before it could exit.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(helmet, {
    // HSTS over plain HTTP is meaningless and pins a name to HTTPS that may not serve it;
    // it is added below, only to answers that went out over TLS.
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
      },
    },
  });
  await installCors(app, createOriginPolicy(config));
  // `protocol` is https on a TLS socket, or when a proxy trusted by TRUST_PROXY says so with
  // X-Forwarded-Proto; from anyone else that header is ignored.
  app.addHook('onSend', async (request, reply) => {
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'OrgHub API',
        version: '1',
        description:
          'Multi-tenant realtime workspace. Authenticate with `Authorization: Bearer <token>`: an access token from /api/v1/auth/login, the operator token, or an API key (`ohk_…`, within its scopes: see docs/integrations.md).',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  return app;
}
