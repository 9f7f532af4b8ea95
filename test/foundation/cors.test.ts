import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createOrg, createUser, startApp, type TestApp } from '../helpers/app.js';

const APP = 'https://app.example.com';
const OWN = 'https://chat.example.com';

/** Every Access-Control-* header of an answer, by lower-case name. */
const corsHeaders = (h: Headers) =>
  Object.fromEntries([...h.entries()].filter(([k]) => k.startsWith('access-control-')));

const preflight = (t: TestApp, path: string, origin: string, method = 'PUT') =>
  api(t, 'OPTIONS', path, {
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization,content-type,if-match,x-request-id',
    },
  });

let t: TestApp;
let token: string;
let taskPath: string;
beforeAll(async () => {
  t = await startApp({ config: { allowedOrigins: [APP], publicUrl: OWN } });
  const org = await createOrg(t);
  const u = await createUser(t, org.id);
  token = u.token;
  const created = await api(t, 'POST', `/api/v1/users/${u.user.id}/tasks`, {
    token,
    body: { title: 'Cross-origin' },
  });
  taskPath = `/api/v1/tasks/${created.body.id}`;
});
afterAll(() => t.close());

describe('CORS for the origins in ALLOWED_ORIGINS', () => {
  it('answers a preflight 204 with the methods, headers and max age, credentials off', async () => {
    const res = await preflight(t, taskPath, APP);
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    const h = res.headers;
    expect(h.get('access-control-allow-origin')).toBe(APP);
    const methods = h.get('access-control-allow-methods')!.split(/,\s*/);
    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']));
    const allowed = h.get('access-control-allow-headers')!.toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-request-id', 'if-match']),
    );
    expect(Number(h.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(h.get('access-control-allow-credentials')).toBeNull();
    expect(h.get('vary')).toMatch(/origin/i);
  });

  it('a preflight needs no token, whatever the route would need', async () => {
    const res = await preflight(t, '/api/v1/orgs', APP, 'POST');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('answers, errors included, carry the origin and expose X-Request-ID, ETag, Retry-After', async () => {
    const ok = await api(t, 'GET', taskPath, { token, headers: { origin: APP } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('vary')).toMatch(/origin/i);
    const exposed = ok.headers.get('access-control-expose-headers')!.toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'etag', 'retry-after']));
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    // A browser app must be able to read why a call failed.
    const denied = await api(t, 'GET', taskPath, { headers: { origin: APP } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(APP);
  });
});

describe('CORS for anyone else: nothing', () => {
  it('another origin’s preflight is a 404 without any Access-Control-Allow-* header', async () => {
    for (const origin of ['https://evil.example', 'http://app.example.com', 'null']) {
      const res = await preflight(t, taskPath, origin);
      expect(res.status, origin).toBe(404);
      expect(res.body, origin).toMatchObject({ code: 'not_found' });
      expect(corsHeaders(res.headers), origin).toEqual({});
    }
  });

  it('an Origin naming the server’s own host or PUBLIC_URL is not cross-origin trust', async () => {
    const host = new URL(t.url).host;
    for (const origin of [`http://${host}`, OWN]) {
      const res = await preflight(t, taskPath, origin);
      expect(res.status, origin).toBe(404);
      expect(corsHeaders(res.headers), origin).toEqual({});
    }
  });

  it('a simple request from another origin gets its answer but no CORS header (the browser hides it)', async () => {
    const res = await api(t, 'GET', taskPath, {
      token,
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(200);
    expect(corsHeaders(res.headers)).toEqual({});
    const none = await api(t, 'GET', taskPath, { token });
    expect(corsHeaders(none.headers)).toEqual({});
  });

  it('without ALLOWED_ORIGINS no origin gets CORS', async () => {
    const plain = await startApp();
    try {
      const res = await preflight(plain, '/api/v1/orgs', APP, 'POST');
      expect(res.status).toBe(404);
      expect(corsHeaders(res.headers)).toEqual({});
    } finally {
      await plain.close();
    }
  });
});
