import { Type } from 'typebox';
import type { Api } from '../api.js';
import { errors } from '../../protocol/common.js';
import { OrgParams } from '../../protocol/orgs.js';
import { Dm, DmParams } from '../../protocol/workspace.js';
import type { DmService } from '../../modules/dms/dms.service.js';

export function registerDmRoutes(app: Api, dms: DmService) {
  app.addSchema(Dm);

  app.post(
    '/api/v1/orgs/:orgId/dms/:userId',
    {
      schema: {
        tags: ['dms'],
        summary: 'The DM with a user of the org, created on first use (idempotent)',
        params: DmParams,
        response: { 200: Type.Ref('Dm'), ...errors(400, 403, 404) },
      },
    },
    async (req) => dms.open(req.principal, req.params.orgId, req.params.userId),
  );

  app.get(
    '/api/v1/orgs/:orgId/dms',
    {
      schema: {
        tags: ['dms'],
        summary: 'The caller’s DMs, with the other user and unread counts',
        params: OrgParams,
        response: { 200: Type.Array(Type.Ref('Dm')), ...errors(403, 404) },
      },
    },
    async (req) => dms.list(req.principal, req.params.orgId),
  );
}
