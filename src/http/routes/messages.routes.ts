import { Type } from 'typebox';
import type { Api } from '../api.js';
import { errors } from '../../protocol/common.js';
import { GroupParams, OrgParams } from '../../protocol/orgs.js';
import {
  Broadcast,
  BroadcastPage,
  GroupBroadcastBody,
  GroupBroadcastResponse,
  ListBroadcastsQuery,
  ListMessagesQuery,
  Message,
  MessagePage,
  MessagesAfterQuery,
  MessageHit,
  MessageSearchPage,
  MessageSearchQuery,
  MessagesBetweenQuery,
  OrgBroadcastBody,
  OrgBroadcastResponse,
} from '../../protocol/messages.js';
import type { MessageService } from '../../modules/messages/messages.service.js';

const GROUP = '/api/v1/orgs/:orgId/groups/:groupId';

export function registerMessageRoutes(app: Api, messages: MessageService) {
  app.addSchema(Message);
  app.addSchema(Broadcast);
  app.addSchema(MessageHit);
  const page = <T>(list: T[]) => ({ messages: list, count: list.length });

  app.post(
    `${GROUP}/broadcast`,
    {
      config: { scope: 'messages:write' },
      schema: {
        tags: ['messages'],
        summary: 'Post a message to a group: stored and delivered exactly like a socket message',
        params: GroupParams,
        body: GroupBroadcastBody,
        response: { 200: GroupBroadcastResponse, ...errors(400, 404, 413) },
      },
    },
    async (req) => {
      const { orgId, groupId } = req.params;
      const stored = await messages.postToGroup(req.principal, orgId, groupId, req.body);
      return { status: stored.created ? 'sent' : 'duplicate', message: stored.message };
    },
  );

  app.post(
    '/api/v1/orgs/:orgId/broadcast',
    {
      config: { scope: 'broadcast' },
      schema: {
        tags: ['messages'],
        summary: 'Announce to every connected socket of the org (admins, operator)',
        params: OrgParams,
        body: OrgBroadcastBody,
        response: { 200: OrgBroadcastResponse, ...errors(400, 403, 404, 413) },
      },
    },
    async (req) => ({
      status: 'sent',
      message: await messages.postToOrg(req.principal, req.params.orgId, req.body.content),
    }),
  );

  app.get(
    '/api/v1/orgs/:orgId/broadcasts',
    {
      config: { scope: 'messages:read' },
      schema: {
        tags: ['messages'],
        summary: 'Recent org announcements within retention, newest first (members)',
        params: OrgParams,
        querystring: ListBroadcastsQuery,
        response: { 200: BroadcastPage, ...errors(400, 404) },
      },
    },
    async (req) => {
      const list = await messages.listBroadcasts(req.principal, req.params.orgId, req.query.limit);
      return { broadcasts: list, count: list.length };
    },
  );

  app.get(
    `${GROUP}/messages`,
    {
      config: { scope: 'messages:read' },
      schema: {
        tags: ['messages'],
        summary: 'Messages newest first; page back with before_seq, or jump to one with around_seq',
        params: GroupParams,
        querystring: ListMessagesQuery,
        response: { 200: MessagePage, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { orgId, groupId } = req.params;
      return page(await messages.newest(req.principal, orgId, groupId, req.query));
    },
  );

  app.get(
    `${GROUP}/messages/after`,
    {
      config: { scope: 'messages:read' },
      schema: {
        tags: ['messages'],
        summary: 'Messages after a time (unix seconds) or a seq, oldest first',
        params: GroupParams,
        querystring: MessagesAfterQuery,
        response: { 200: MessagePage, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { orgId, groupId } = req.params;
      return page(await messages.after(req.principal, orgId, groupId, req.query));
    },
  );

  app.get(
    `${GROUP}/messages/between`,
    {
      config: { scope: 'messages:read' },
      schema: {
        tags: ['messages'],
        summary: 'Messages between two times (unix seconds, inclusive), oldest first',
        params: GroupParams,
        querystring: MessagesBetweenQuery,
        response: { 200: MessagePage, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { orgId, groupId } = req.params;
      return page(await messages.between(req.principal, orgId, groupId, req.query));
    },
  );

  app.get(
    `${GROUP}/messages/count`,
    {
      config: { scope: 'messages:read' },
      schema: {
        tags: ['messages'],
        summary: 'How many messages of the group are within retention',
        params: GroupParams,
        response: { 200: Type.Object({ count: Type.Integer() }), ...errors(404) },
      },
    },
    async (req) => {
      const { orgId, groupId } = req.params;
      return { count: await messages.count(req.principal, orgId, groupId) };
    },
  );

  app.get(
    '/api/v1/orgs/:orgId/messages/search',
    {
      config: { scope: 'messages:read' },
      schema: {
        tags: ['messages'],
        summary: 'Search the history of every group and DM the caller may read, ranked',
        params: OrgParams,
        querystring: MessageSearchQuery,
        response: { 200: MessageSearchPage, ...errors(400, 404) },
      },
    },
    async (req) => messages.search(req.principal, req.params.orgId, req.query),
  );
}
