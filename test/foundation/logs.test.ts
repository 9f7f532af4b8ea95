import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  captureLogs,
  createOrg,
  createUser,
  PASSWORD,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { login, refresh } from './session.js';

/**
 * At the chattiest level, every log line is JSON, request lines carry a request id, and no
 * password, token or server secret ever appears in one.
 */
describe('logs', { timeout: 120_000 }, () => {
  let t: TestApp;
  const logs = captureLogs();
  let orgId: string;
  let admin: Fixture;
  const secrets = new Set<string>();

  beforeAll(async () => {
    t = await startApp({ logStream: logs.stream, config: { logLevel: 'trace' } });
    orgId = (await createOrg(t)).id;
    admin = await createUser(t, orgId, { role: 'admin' });
    secrets.add(PASSWORD);
    secrets.add(t.operatorToken);
    secrets.add(t.app.secrets.jwtSecret);
    secrets.add(admin.token);
  });
  afterAll(() => t.close());

  it('login, refresh, logout, signup, password changes and operator calls leak nothing', async () => {
    const s1 = (await login(t, { org_id: orgId, username: admin.user.username })).body;
    const s2 = (await refresh(t, s1.refresh_token)).body;
    for (const s of [s1, s2]) {
      secrets.add(s.access_token);
      secrets.add(s.refresh_token);
    }
    // A reuse, a failed login with a wrong password, a logout.
    await refresh(t, s1.refresh_token);
    const wrong = 'Wrong-Password-Never-Logged';
    secrets.add(wrong);
    await login(t, { org_id: orgId, username: admin.user.username, password: wrong });
    await api(t, 'POST', '/api/v1/auth/logout', { body: { refresh_token: s2.refresh_token } });

    const signupPassword = 'Signup-Password-Never-Logged';
    secrets.add(signupPassword);
    const signup = await api<{ access_token: string; refresh_token: string }>(
      t,
      'POST',
      '/api/v1/auth/signup',
      {
        body: {
          org_id: `logs-${Date.now()}`,
          org_name: 'Logs',
          username: 'founder',
          email: 'founder@example.test',
          password: signupPassword,
        },
      },
    );
    expect(signup.status).toBe(201);
    secrets.add(signup.body.access_token);
    secrets.add(signup.body.refresh_token);

    const newPassword = 'Changed-Password-Never-Logged';
    secrets.add(newPassword);
    const changed = await api(t, 'PUT', `/api/v1/users/${admin.user.id}`, {
      token: admin.token,
      body: { password: newPassword, current_password: PASSWORD },
    });
    expect(changed.status).toBe(200);
    // A validation failure that echoes nothing of the body.
    await api(t, 'POST', '/api/v1/users', {
      token: admin.token,
      body: { org_id: orgId, username: 'x', email: 'bad', password: 'Bad-Body-Password-1' },
    });
    secrets.add('Bad-Body-Password-1');

    const op = await api(t, 'GET', '/api/v1/orgs', { token: t.operatorToken });
    expect(op.status).toBe(200);
    // Tokens in URLs (browsers put them in the socket's query) are redacted.
    for (const q of ['access_token', 'token', 'refresh_token']) {
      await api(t, 'GET', `/api/v1/orgs?${q}=${s2.access_token}&x=1`, { token: admin.token });
      await api(t, 'GET', `/health?${q}=${t.operatorToken}`);
    }
    // An invalid bearer, logged as a 401.
    await api(t, 'GET', '/api/v1/auth/me', { token: `${s2.access_token}x` });

    expect(logs.lines.length).toBeGreaterThan(20);
    const all = logs.lines.join('\n');
    for (const secret of secrets) {
      expect(all.includes(secret), `a secret of ${secret.length} chars appears in the logs`).toBe(
        false,
      );
    }
    expect(all).toContain('[REDACTED]');
  });

  it('every line is JSON and request lines carry a request id', async () => {
    const res = await api(t, 'GET', '/api/v1/auth/me', {
      token: admin.token,
      headers: { 'x-request-id': 'trace-me-123' },
    });
    expect(res.headers.get('x-request-id')).toBe('trace-me-123');
    const parsed = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requestLines = parsed.filter((l) => 'req' in l || 'res' in l || 'reqId' in l);
    expect(requestLines.length).toBeGreaterThan(10);
    for (const l of requestLines) expect(l['reqId']).toEqual(expect.any(String));
    expect(parsed.some((l) => l['reqId'] === 'trace-me-123')).toBe(true);
    for (const l of parsed) {
      expect(l).toMatchObject({ level: expect.any(Number), time: expect.any(Number) });
    }
    // An id a client made up with odd characters is replaced, not logged.
    const odd = await api(t, 'GET', '/health', { headers: { 'x-request-id': 'bad id\u00e9' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
