import { Type } from 'typebox';
import type { Api } from '../api.js';
import { badRequest } from '../../errors.js';
import { errors } from '../../protocol/common.js';
import {
  LoginBody,
  MeResponse,
  RefreshBody,
  SignupBody,
  SignupResponse,
  TokenResponse,
} from '../../protocol/auth.js';
import { toOrg } from '../../modules/orgs/orgs.mapper.js';
import { toUser } from '../../modules/users/users.mapper.js';
import type { UserService } from '../../modules/users/users.service.js';
import type { AuthService, Session } from '../../modules/auth/auth.service.js';

const tokenBody = (s: Session) => ({
  access_token: s.accessToken,
  refresh_token: s.refreshToken,
  token_type: 'Bearer' as const,
  expires_in: s.expiresIn,
  user: toUser(s.user),
});

export function registerAuthRoutes(app: Api, auth: AuthService, users: UserService) {
  app.post(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with org, username (or email) and password',
        security: [],
        body: LoginBody,
        response: { 200: TokenResponse, ...errors(400) },
      },
    },
    async (req) => {
      const b = req.body;
      if (!b.username && !b.email) throw badRequest('body.username or body.email is required');
      return tokenBody(
        await auth.login({
          orgId: b.org_id,
          password: b.password,
          ip: req.ip,
          ...(b.username ? { username: b.username } : { email: b.email! }),
        }),
      );
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Swap a refresh token for a new pair; the old one stops working',
        security: [],
        body: RefreshBody,
        response: { 200: TokenResponse, ...errors(400) },
      },
    },
    async (req) => tokenBody(await auth.refresh(req.body.refresh_token)),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'End the session of a refresh token',
        security: [],
        body: RefreshBody,
        response: { 204: Type.Null(), ...errors(400) },
      },
    },
    async (req, reply) => {
      await auth.logout(req.body.refresh_token);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      schema: { tags: ['auth'], summary: 'The caller', response: { 200: MeResponse, ...errors() } },
    },
    async (req) => {
      const p = req.principal;
      if (p.kind === 'operator') return { operator: true as const };
      return toUser(await users.visibleUser(p, p.id));
    },
  );

  app.post(
    '/api/v1/auth/signup',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Create an org and its first admin (when SIGNUP=open)',
        security: [],
        body: SignupBody,
        response: { 201: SignupResponse, ...errors(400, 403, 409) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { org, session } = await auth.signup({
        orgId: b.org_id,
        orgName: b.org_name,
        username: b.username,
        email: b.email,
        password: b.password,
        ip: req.ip,
        ...(b.full_name !== undefined && { fullName: b.full_name }),
      });
      return reply.status(201).send({ org: toOrg(org), ...tokenBody(session) });
    },
  );
}
