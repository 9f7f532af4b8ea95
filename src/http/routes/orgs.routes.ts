import { Type } from 'typebox';
import type { Api } from '../api.js';
import { errors } from '../../protocol/common.js';
import {
  CreateGroupBody,
  CreateOrgBody,
  GroupCreated,
  MemberParams,
  OrgCreated,
  OrgParams,
} from '../../protocol/orgs.js';
import type { GroupService } from '../../modules/groups/groups.service.js';
import { toGroup, toOrg } from '../../modules/orgs/orgs.mapper.js';
import type { OrgService } from '../../modules/orgs/orgs.service.js';

export function registerOrgRoutes(app: Api, orgs: OrgService, groups: GroupService) {
  app.addSchema(OrgCreated);
  app.addSchema(GroupCreated);
  app.post(
    '/api/v1/orgs',
    {
      schema: {
        tags: ['orgs'],
        summary: 'Create an org (operator)',
        body: CreateOrgBody,
        response: { 201: Type.Ref('OrgCreated'), ...errors(400, 403, 409) },
      },
    },
    async (req, reply) => {
      const org = toOrg(await orgs.create(req.principal, req.body));
      const answer: OrgCreated = {
        ...org,
        org_id: org.id,
        status: 'success',
        message: 'Organization created successfully',
      };
      return reply.status(201).send(answer);
    },
  );

  app.get(
    '/api/v1/orgs',
    {
      config: { scope: 'any' },
      schema: {
        tags: ['orgs'],
        summary: 'Orgs the caller may see (operator: all; a user: their own)',
        response: { 200: Type.Array(Type.Ref('Org')), ...errors() },
      },
    },
    async (req) => (await orgs.list(req.principal)).map(toOrg),
  );

  app.get(
    '/api/v1/orgs/:orgId',
    {
      config: { scope: 'any' },
      schema: {
        tags: ['orgs'],
        summary: 'Get an org (its members and the operator)',
        params: OrgParams,
        response: { 200: Type.Ref('Org'), ...errors(404) },
      },
    },
    async (req) => toOrg(await orgs.get(req.principal, req.params.orgId)),
  );

  app.post(
    '/api/v1/orgs/:orgId/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'Create a group (any member; the creator is its first member)',
        params: OrgParams,
        body: CreateGroupBody,
        response: { 201: Type.Ref('GroupCreated'), ...errors(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const group = toGroup(await groups.create(req.principal, req.params.orgId, req.body));
      const answer: GroupCreated = {
        ...group,
        group_id: group.id,
        status: 'success',
        message: 'Group created successfully',
      };
      return reply.status(201).send(answer);
    },
  );

  app.get(
    '/api/v1/orgs/:orgId/groups',
    {
      config: { scope: 'messages:read' },
      schema: {
        tags: ['groups'],
        summary: 'Groups the caller may join',
        params: OrgParams,
        response: { 200: Type.Array(Type.Ref('Group')), ...errors(404) },
      },
    },
    async (req) =>
      (await groups.list(req.principal, req.params.orgId)).map((g) => ({
        ...toGroup(g),
        last_seq: g.lastSeq,
        last_read_seq: Math.min(g.lastReadSeq, g.lastSeq),
        unread_count: Math.max(0, g.lastSeq - g.lastReadSeq),
      })),
  );

  for (const [method, present] of [
    ['PUT', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/api/v1/orgs/:orgId/groups/:groupId/members/:userId',
      schema: {
        tags: ['groups'],
        summary: present ? 'Add a member to a group' : 'Remove a member from a group',
        params: MemberParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
      handler: async (req, reply) => {
        const { orgId, groupId, userId } = req.params;
        await groups.setMember(req.principal, orgId, groupId, userId, present);
        return reply.status(204).send(null);
      },
    });
  }
}
