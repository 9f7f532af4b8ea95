import type { ApiKeyRow } from '../../db/schema.js';
import type { ApiKey } from '../../protocol/api-keys.js';
import { iso, isoOrNull } from '../../shared/time.js';
import { toApiKeyPrincipal } from './api-key-cache.js';

/** A key as listed: everything but its secret (which is not stored) and its hash. */
export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    org_id: row.orgId,
    name: row.name,
    scopes: [...toApiKeyPrincipal(row).scopes],
    groups: row.groupIds,
    key_prefix: row.keyPrefix,
    created_by: row.createdBy,
    created_at: iso(row.createdAt),
    last_used_at: isoOrNull(row.lastUsedAt),
  };
}
