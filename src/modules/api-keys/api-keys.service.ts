import type { Db } from '../../db/database.js';
import { badRequest, conflict, notFound } from '../../errors.js';
import {
  MAX_ACTIVE_KEYS_PER_ORG,
  type ApiKey,
  type ApiKeyCreated,
  type CreateApiKeyBody,
} from '../../protocol/api-keys.js';
import { enforce } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { canOrg } from '../orgs/orgs.policy.js';
import { findOrg } from '../orgs/orgs.repo.js';
import type { ApiKeyCache } from './api-key-cache.js';
import { newApiKey } from './api-key-secret.js';
import { toApiKey } from './api-keys.mapper.js';
import { canApiKeys } from './api-keys.policy.js';
import * as repo from './api-keys.repo.js';

/** Admins (and the operator) create, list and revoke their org's API keys. */
export function createApiKeyService(db: Db, cache: Pick<ApiKeyCache, 'revoke'>) {
  async function managedOrg(p: Principal, orgId: string): Promise<void> {
    enforce(canApiKeys(p, 'manage', { id: orgId }));
    // A user's own org always exists; the operator may name any.
    if (p.kind === 'operator' && !(await findOrg(db, orgId))) throw notFound('org');
  }

  return {
    /** The one answer that carries the key: it is not stored, only its hash. */
    async create(p: Principal, orgId: string, body: CreateApiKeyBody): Promise<ApiKeyCreated> {
      await managedOrg(p, orgId);
      // What the operator authors is signed "operator": a key may not pass for it.
      if (body.name.toLowerCase() === 'operator') {
        throw badRequest('body.name must not be "operator": that name is the operator’s');
      }
      if (body.groups) {
        const found = await repo.existingGroups(db, orgId, body.groups);
        const missing = body.groups.find((g) => !found.has(g));
        // Another org's group, a DM or none at all: not there, as for any id in a body.
        if (missing !== undefined) throw notFound(`group ${missing}`);
      }
      if ((await repo.countActiveKeys(db, orgId)) >= MAX_ACTIVE_KEYS_PER_ORG) {
        throw conflict(
          `an org may hold at most ${MAX_ACTIVE_KEYS_PER_ORG} active API keys: revoke one first`,
        );
      }
      const secret = newApiKey();
      const row = await repo.insertApiKey(db, orgId, {
        name: body.name,
        scopes: [...body.scopes],
        groupIds: body.groups ? [...body.groups] : null,
        keyHash: secret.hash,
        keyPrefix: secret.prefix,
        createdBy: p.kind === 'user' ? p.id : null,
      });
      return { ...toApiKey(row), key: secret.key };
    },

    async list(p: Principal, orgId: string): Promise<ApiKey[]> {
      await managedOrg(p, orgId);
      return (await repo.listActiveKeys(db, orgId)).map(toApiKey);
    },

    /**
     * Revoked on every node at once (the cache's broker event). Ids first, permission second,
     * as for every id in a path: another org's (or an unknown) key is 404 whoever asks.
     */
    async revoke(p: Principal, orgId: string, keyId: string): Promise<void> {
      enforce(canOrg(p, 'view', { id: orgId }));
      if (!(await repo.findActiveKey(db, orgId, keyId))) throw notFound('api key');
      await managedOrg(p, orgId);
      if (!(await repo.revokeKey(db, orgId, keyId))) throw notFound('api key');
      cache.revoke(orgId, keyId);
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
