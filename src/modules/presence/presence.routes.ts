import type { Api } from '../../http/deps.js';
import { errors } from '../../protocol/common.js';
import { GroupParams } from '../../protocol/orgs.js';
import { PresenceList, PresentUser } from '../../protocol/presence.js';
import type { Presence } from '../../realtime/presence.js';
import type { GroupService } from '../groups/groups.service.js';

export function registerPresenceRoutes(app: Api, presence: Presence, groups: GroupService) {
  app.addSchema(PresentUser);
  app.get(
    '/api/v1/orgs/:orgId/groups/:groupId/presence',
    {
      schema: {
        tags: ['presence'],
        summary: 'Users online in a group (any device, any node); anyone who may join it',
        params: GroupParams,
        response: { 200: PresenceList, ...errors(404) },
      },
    },
    async (req) => {
      const { orgId, groupId } = req.params;
      // The group check validates both ids before they name a Redis key.
      await groups.joinableGroup(req.principal, orgId, groupId);
      const users = await presence.list(orgId, groupId);
      return users.map((u) => ({ user_id: u.userId, username: u.username }));
    },
  );
}
