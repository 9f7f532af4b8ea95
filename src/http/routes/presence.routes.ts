import type { Api } from '../api.js';
import { errors } from '../../protocol/common.js';
import { GroupParams } from '../../protocol/orgs.js';
import { PresenceList, PresentUser } from '../../protocol/presence.js';
import type { PresenceService } from '../../modules/presence/presence.service.js';

export function registerPresenceRoutes(app: Api, presence: PresenceService) {
  app.addSchema(PresentUser);
  app.get(
    '/api/v1/orgs/:orgId/groups/:groupId/presence',
    {
      config: { scope: 'messages:read' },
      schema: {
        tags: ['presence'],
        summary: 'Users online in a group (any device, any node); anyone who may join it',
        params: GroupParams,
        response: { 200: PresenceList, ...errors(404) },
      },
    },
    async (req) => {
      const { orgId, groupId } = req.params;
      const users = await presence.inGroup(req.principal, orgId, groupId);
      return users.map((u) => ({ user_id: u.userId, username: u.username }));
    },
  );
}
