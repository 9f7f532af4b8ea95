import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startApp, type TestApp } from '../helpers/app.js';

describe('operations routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it('GET /health answers plain OK while the database answers', async () => {
    const res = await api(t, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toBe('OK');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('GET /api/v1/health reports each check as JSON', async () => {
    const res = await api(t, 'GET', '/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      checks: { database: 'ok', broker: expect.stringMatching(/^ok/) },
    });
  });

  it('GET /metrics exposes request duration histograms by route and status', async () => {
    await api(t, 'GET', '/health');
    const res = await api(t, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('orghub_http_request_duration_seconds_bucket{');
    expect(res.body).toMatch(/route="\/health",status_code="200"/);
  });

  it('GET /metrics counts the database queries the node ran', async () => {
    const queries = async () => {
      const res = await api<string>(t, 'GET', '/metrics');
      const m = /^orghub_db_queries_total (\d+)$/m.exec(res.body);
      expect(m).not.toBeNull();
      return Number(m![1]);
    };
    const before = await queries();
    // Creating an org runs at least its insert.
    const r = await api(t, 'POST', '/api/v1/orgs', {
      token: t.operatorToken,
      body: { id: `metrics-${Date.now()}`, name: 'Metrics' },
    });
    expect(r.status).toBe(201);
    expect(await queries()).toBeGreaterThanOrEqual(before + 1);
  });

  it('GET /openapi.json describes the routes, and /docs serves a page', async () => {
    const spec = await api<{ openapi: string; paths: Record<string, unknown> }>(
      t,
      'GET',
      '/openapi.json',
    );
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/orgs',
        '/api/v1/users/{id}',
        '/api/v1/auth/login',
        '/api/v1/orgs/{orgId}/groups',
      ]),
    );
    const docs = await fetch(`${t.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('<html');
  });

  it('answers an unknown route with the error shape', async () => {
    const res = await api(t, 'GET', '/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: expect.any(String), code: 'not_found' });
  });

  it('a failing database turns /health into 503 naming the database', async () => {
    const other = await startApp();
    await other.app.database.close();
    const res = await api(other, 'GET', '/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatch(/database/);
    const json = await api(other, 'GET', '/api/v1/health');
    expect(json.status).toBe(503);
    expect(json.body).toMatchObject({
      status: 'unavailable',
      checks: { database: expect.stringMatching(/^down/) },
    });
    await other.close();
  });
});
