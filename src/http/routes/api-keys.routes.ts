import { Type } from 'typebox';
import type { Api } from '../api.js';
import { errors } from '../../protocol/common.js';
import { OrgParams } from '../../protocol/orgs.js';
import {
  ApiKey,
  ApiKeyCreated,
  ApiKeyList,
  ApiKeyParams,
  CreateApiKeyBody,
} from '../../protocol/api-keys.js';
import type { ApiKeyService } from '../../modules/api-keys/api-keys.service.js';

/** `/api/v1/orgs/{orgId}/api-keys`: admins and the operator; closed to API keys themselves. */
export function registerApiKeyRoutes(app: Api, keys: ApiKeyService) {
  app.addSchema(ApiKey);
  app.addSchema(ApiKeyCreated);
  app.addSchema(ApiKeyList);

  app.post(
    '/api/v1/orgs/:orgId/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key (admins, operator): the key is in this answer only',
        params: OrgParams,
        body: CreateApiKeyBody,
        response: { 201: Type.Ref('ApiKeyCreated'), ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await keys.create(req.principal, req.params.orgId, req.body)),
  );

  app.get(
    '/api/v1/orgs/:orgId/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'The org’s active API keys, never the keys themselves (admins, operator)',
        params: OrgParams,
        response: { 200: Type.Ref('ApiKeyList'), ...errors(403, 404) },
      },
    },
    async (req) => ({ api_keys: await keys.list(req.principal, req.params.orgId) }),
  );

  app.delete(
    '/api/v1/orgs/:orgId/api-keys/:keyId',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key: refused on every node within a second (admins, operator)',
        params: ApiKeyParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (req, reply) => {
      await keys.revoke(req.principal, req.params.orgId, req.params.keyId);
      return reply.status(204).send(null);
    },
  );
}
