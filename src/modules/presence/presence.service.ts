import type { PresentUser } from '../../realtime/presence.js';
import type { GroupService } from '../groups/groups.service.js';
import type { Principal } from '../auth/principal.js';

/**
 * Who is online, as a caller may ask: the users online in a group are visible to whoever
 * may join it (the group policy), and to no one else.
 */
export function createPresenceService(deps: {
  groups: GroupService;
  /** The users online in a group, any device, any node (the presence port). */
  online(orgId: string, groupId: string): Promise<PresentUser[]>;
}) {
  return {
    async inGroup(p: Principal, orgId: string, groupId: string): Promise<PresentUser[]> {
      // The group check also validates both ids before they name a Redis key.
      const access = await deps.groups.access(p, orgId, groupId);
      return deps.online(access.orgId, access.groupId);
    },
  };
}

export type PresenceService = ReturnType<typeof createPresenceService>;
