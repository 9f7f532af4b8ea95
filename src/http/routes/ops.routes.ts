import { timingSafeEqual } from 'node:crypto';
import { Type } from 'typebox';
import { unauthorized } from '../../errors.js';
import type { Api } from '../api.js';
import { bearerToken } from '../../modules/auth/authenticator.js';
import { sha256 } from '../../modules/auth/tokens.js';
import type { Metrics } from '../../modules/ops/metrics.js';

export interface HealthChecks {
  database: () => Promise<void>;
  /** Present only when a networked broker (Redis) is configured. */
  broker?: () => Promise<void>;
}

const HEALTH_TIMEOUT_MS = 2000;

async function check(fn: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), HEALTH_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return `down: ${(err as Error).message.slice(0, 200)}`;
  } finally {
    clearTimeout(timer);
  }
}

async function runChecks(checks: HealthChecks) {
  const [database, broker] = await Promise.all([
    check(checks.database),
    checks.broker ? check(checks.broker) : Promise.resolve('ok (in-process)'),
  ]);
  const healthy = database === 'ok' && broker.startsWith('ok');
  return { healthy, database, broker };
}

/** With METRICS_TOKEN set, `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>`. */
function metricsGuard(token: string | undefined): (header: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const want = sha256(token);
  return (header) => {
    const given = bearerToken(header);
    // Digests compared in constant time: the token's length and bytes do not leak.
    return given !== undefined && timingSafeEqual(sha256(given), want);
  };
}

export function registerOpsRoutes(
  app: Api,
  checks: HealthChecks,
  metrics: Metrics,
  opts: { metricsToken?: string | undefined } = {},
) {
  const mayScrape = metricsGuard(opts.metricsToken);
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['ops'],
        summary: 'Plain-text health (seed)',
        security: [],
        produces: ['text/plain'],
      },
    },
    async (_req, reply) => {
      const r = await runChecks(checks);
      reply.type('text/plain; charset=utf-8');
      if (r.healthy) return reply.send('OK');
      const failing = [
        r.database !== 'ok' && `database ${r.database}`,
        !r.broker.startsWith('ok') && `broker ${r.broker}`,
      ]
        .filter(Boolean)
        .join('; ');
      return reply.status(503).send(`UNAVAILABLE: ${failing}`);
    },
  );

  app.get(
    '/api/v1/health',
    {
      config: { public: true },
      schema: {
        tags: ['ops'],
        summary: 'Health as JSON',
        security: [],
        response: {
          '2xx': Type.Object({
            status: Type.String(),
            checks: Type.Object({ database: Type.String(), broker: Type.String() }),
          }),
          503: Type.Object({
            status: Type.String(),
            checks: Type.Object({ database: Type.String(), broker: Type.String() }),
          }),
        },
      },
    },
    async (_req, reply) => {
      const r = await runChecks(checks);
      return reply.status(r.healthy ? 200 : 503).send({
        status: r.healthy ? 'ok' : 'unavailable',
        checks: { database: r.database, broker: r.broker },
      });
    },
  );

  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        tags: ['ops'],
        summary:
          'Prometheus metrics (with METRICS_TOKEN set: `Authorization: Bearer <METRICS_TOKEN>`)',
        security: [],
      },
    },
    async (req, reply) => {
      if (!mayScrape(req.headers.authorization)) throw unauthorized('METRICS_TOKEN required');
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );

  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
