import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, captureLogs, startApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../foundation/session.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe('HSTS only behind TLS', () => {
  let direct: TestApp;
  let proxied: TestApp;
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([
      startApp(),
      startApp({ config: { trustProxy: ['127.0.0.1'] } }),
    ]);
  });
  afterAll(() => Promise.all([direct?.close(), proxied?.close()]));

  const hsts = async (t: TestApp, headers: Record<string, string> = {}) =>
    (await api(t, 'GET', '/health', { headers })).headers.get('strict-transport-security');

  it('is never sent over plain HTTP, whatever a client claims without a trusted proxy', async () => {
    expect(await hsts(direct)).toBeNull();
    expect(await hsts(direct, { 'x-forwarded-proto': 'https' })).toBeNull();
    expect(await hsts(proxied)).toBeNull();
    expect(await hsts(proxied, { 'x-forwarded-proto': 'http' })).toBeNull();
  });

  it('is sent when a trusted proxy says the client spoke HTTPS', async () => {
    expect(await hsts(proxied, { 'x-forwarded-proto': 'https' })).toMatch(/^max-age=\d{7,}/);
    // The other helmet headers stay on every answer.
    const res = await api(direct, 'GET', '/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  let open: TestApp;
  beforeAll(async () => {
    [t, open] = await Promise.all([
      startApp({ config: { metricsToken: METRICS_TOKEN } }),
      startApp(),
    ]);
  });
  afterAll(() => Promise.all([t?.close(), open?.close()]));

  it('needs Authorization: Bearer <METRICS_TOKEN> (401 otherwise)', async () => {
    expectError(await api(t, 'GET', '/metrics'), 401, 'unauthorized');
    expectError(await api(t, 'GET', '/metrics', { token: 'wrong' }), 401, 'unauthorized');
    expectError(
      await api(t, 'GET', '/metrics', { token: `${METRICS_TOKEN}x` }),
      401,
      'unauthorized',
    );
    // Neither the operator token nor a Basic header stands in for it.
    expectError(await api(t, 'GET', '/metrics', { token: t.operatorToken }), 401, 'unauthorized');
    const basic = await api(t, 'GET', '/metrics', {
      headers: { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` },
    });
    expectError(basic, 401, 'unauthorized');
    const ok = await api<string>(t, 'GET', '/metrics', { token: METRICS_TOKEN });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('orghub_http_request_duration_seconds');
  });

  it('stays open without METRICS_TOKEN (as configured)', async () => {
    expect((await api(open, 'GET', '/metrics')).status).toBe(200);
  });
});

describe('start-up warning for clusters with generated secrets', () => {
  const warnings = async (config: Parameters<typeof startApp>[0]) => {
    const logs = captureLogs();
    const t = await startApp({ ...config, logStream: logs.stream });
    await t.close();
    return logs.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40 && /JWT_SECRET|ADMIN_TOKEN/.test(l.msg));
  };
  const redisUrl = process.env['REDIS_URL'] ?? '';

  it.runIf(redisUrl)('with REDIS_URL and a generated secret says so in one warn line', async () => {
    const lines = await warnings({
      config: { logLevel: 'info', redisUrl, jwtSecret: undefined, adminToken: undefined },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/JWT_SECRET/);
    expect(lines[0]!.msg).toMatch(/ADMIN_TOKEN/);
    const one = await warnings({ config: { logLevel: 'info', redisUrl, adminToken: undefined } });
    expect(one).toHaveLength(1);
    expect(one[0]!.msg).toMatch(/ADMIN_TOKEN/);
    expect(one[0]!.msg).not.toMatch(/JWT_SECRET/);
  });

  it.runIf(redisUrl)('is silent when both are configured', async () => {
    expect(await warnings({ config: { logLevel: 'info', redisUrl } })).toEqual([]);
  });

  it('is silent on a single node (no REDIS_URL)', async () => {
    const lines = await warnings({
      config: { logLevel: 'info', jwtSecret: undefined, adminToken: undefined },
    });
    expect(lines).toEqual([]);
  });
});
