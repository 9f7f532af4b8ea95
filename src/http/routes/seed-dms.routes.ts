import { Type } from 'typebox';
import type { Api } from '../api.js';
import { errors } from '../../protocol/common.js';
import {
  ConnectedUsers,
  SeedDm,
  SeedDmBody,
  SeedDmHistoryQuery,
  SeedDmOrgQuery,
  SeedDmParams,
  SeedDmSent,
} from '../../protocol/seed-dms.js';
import type { SeedDmService } from '../../modules/dms/seed-dms.service.js';

/** The Go server's DM routes (CONTRACT "Seed direct messages"), over OrgHub's DMs. */
export function registerSeedDmRoutes(app: Api, seed: SeedDmService) {
  app.addSchema(SeedDm);

  app.get(
    '/api/v1/dm/connected-users',
    {
      schema: {
        tags: ['dms'],
        summary: 'Users of the caller’s org with any socket open (seed)',
        querystring: SeedDmOrgQuery,
        response: { 200: ConnectedUsers, ...errors(400, 404) },
      },
    },
    async (req) => {
      const ids = await seed.connectedUsers(req.principal, req.query.org_id);
      return { connected_users: ids, count: ids.length };
    },
  );

  app.post(
    '/api/v1/dm/:userId/:recipientId',
    {
      schema: {
        tags: ['dms'],
        summary: 'Send a direct message as userId (the caller) to recipientId (seed)',
        params: SeedDmParams,
        querystring: SeedDmOrgQuery,
        body: SeedDmBody,
        response: { 200: SeedDmSent, ...errors(400, 403, 404, 413) },
      },
    },
    async (req) => {
      const { userId, recipientId } = req.params;
      const { message } = await seed.send(
        req.principal,
        userId,
        recipientId,
        req.body,
        'http',
        req.query.org_id,
      );
      return { status: 'Direct message sent' as const, message };
    },
  );

  app.get(
    '/api/v1/dm/:userId/:recipientId/history',
    {
      schema: {
        tags: ['dms'],
        summary: 'The direct messages of two users, newest first (seed)',
        params: SeedDmParams,
        querystring: SeedDmHistoryQuery,
        response: { 200: Type.Array(Type.Ref('SeedDm')), ...errors(400, 403, 404) },
      },
    },
    async (req) =>
      seed.history(req.principal, req.params.userId, req.params.recipientId, req.query),
  );
}
