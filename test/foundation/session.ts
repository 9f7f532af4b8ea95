import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import { api, PASSWORD, type ApiResponse, type TestApp } from '../helpers/app.js';

/** Shared by the foundation suites: sign-in helpers and the error-shape assertion. */

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: { id: string; org_id: string; username: string; role: string };
}

/**
 * A client address of its own per caller, so per-IP login limits of one test (or of Redis,
 * shared between suites) never spill into another. The apps of these suites trust
 * `X-Forwarded-For` (TRUST_PROXY=true) for exactly this reason.
 */
export const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

export function login(
  t: TestApp,
  body: Record<string, unknown>,
  ip: string = randomIp(),
): Promise<ApiResponse<TokenPair>> {
  return api<TokenPair>(t, 'POST', '/api/v1/auth/login', {
    body: { password: PASSWORD, ...body },
    headers: { 'x-forwarded-for': ip },
  });
}

export function refresh(t: TestApp, refreshToken: string) {
  return api<TokenPair>(t, 'POST', '/api/v1/auth/refresh', {
    body: { refresh_token: refreshToken },
  });
}

/** The contract's error body, with the code and (optionally) the field named in the message. */
export function expectError(res: ApiResponse, status: number, code: string, mentions?: string) {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { error: expect.any(String), code },
  });
  if (mentions) expect((res.body as { error: string }).error).toContain(mentions);
}
