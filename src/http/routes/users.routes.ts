import { Type } from 'typebox';
import type { Api } from '../api.js';
import { badRequest } from '../../errors.js';
import { errors } from '../../protocol/common.js';
import {
  CreateUserBody,
  UpdateUserBody,
  UserParams,
  UserSearchQuery,
} from '../../protocol/users.js';
import { OrgParams } from '../../protocol/orgs.js';
import { toUser } from '../../modules/users/users.mapper.js';
import type { UserService } from '../../modules/users/users.service.js';

const UserRef = Type.Ref('User');

export function registerUserRoutes(app: Api, users: UserService) {
  app.post(
    '/api/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user in an org (admin of that org)',
        body: CreateUserBody,
        response: { 201: UserRef, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const user = await users.create(req.principal, {
        username: b.username,
        email: b.email,
        orgId: b.org_id,
        password: b.password,
        ...(b.full_name !== undefined && { fullName: b.full_name }),
        ...(b.role !== undefined && { role: b.role }),
      });
      return reply.status(201).send(toUser(user));
    },
  );

  app.get(
    '/api/v1/users/search',
    {
      config: { scope: 'users:read' },
      schema: {
        tags: ['users'],
        summary: "Find a user of the caller's org by username",
        querystring: UserSearchQuery,
        response: { 200: UserRef, ...errors(400, 404) },
      },
    },
    async (req) => {
      if (req.principal.kind === 'operator' && !req.query.org_id) {
        throw badRequest('query.org_id is required for the operator');
      }
      return toUser(
        await users.searchByUsername(req.principal, req.query.username, req.query.org_id),
      );
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      config: { scope: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'Get a user of the same org',
        params: UserParams,
        response: { 200: UserRef, ...errors(404) },
      },
    },
    async (req) => toUser(await users.visibleUser(req.principal, req.params.id)),
  );

  app.put(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Update a user (the user, or an admin; role: admin only)',
        params: UserParams,
        body: UpdateUserBody,
        response: { 200: UserRef, ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const b = req.body;
      const user = await users.update(req.principal, req.params.id, {
        ...(b.full_name !== undefined && { fullName: b.full_name }),
        ...(b.email !== undefined && { email: b.email }),
        ...(b.password !== undefined && { password: b.password }),
        ...(b.role !== undefined && { role: b.role }),
        ...(b.current_password !== undefined && { currentPassword: b.current_password }),
      });
      return toUser(user);
    },
  );

  app.delete(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a user (admin)',
        params: UserParams,
        response: { 204: Type.Null(), ...errors(403, 404, 409) },
      },
    },
    async (req, reply) => {
      await users.remove(req.principal, req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/orgs/:orgId/users',
    {
      config: { scope: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'List the users of an org',
        params: OrgParams,
        response: { 200: Type.Array(UserRef), ...errors(404) },
      },
    },
    async (req) => (await users.listOrgUsers(req.principal, req.params.orgId)).map(toUser),
  );
}
