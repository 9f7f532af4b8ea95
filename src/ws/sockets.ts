import type { Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Authenticator } from '../modules/auth/authenticator.js';
import type { SeedDmService } from '../modules/dms/seed-dms.service.js';
import type { GroupService } from '../modules/groups/groups.service.js';
import type { MessageService } from '../modules/messages/messages.service.js';
import type { Metrics } from '../modules/ops/metrics.js';
import type { PresenceService } from '../modules/presence/presence.service.js';
import type { ReadService } from '../modules/reads/reads.service.js';
import { findUser } from '../modules/users/users.repo.js';
import type { Hub } from '../realtime/hub.js';
import type { PresenceTracker } from '../realtime/presence-events.js';
import type { SocketQuota } from '../realtime/socket-quota.js';
import { createSocketServer, type SocketServer } from './engine/server.js';
import type { SessionDeps } from './engine/session.js';
import type { StreamDeps } from './engine/stream.js';
import { dmSeedRoute } from './protocols/dm-seed.js';
import { groupSeedRoute } from './protocols/group-seed.js';
import { workspaceRoute } from './protocols/workspace.js';

export type { SocketServer } from './engine/server.js';
export { accessRevoked } from './engine/access-revoked.js';

export interface SocketsDeps {
  server: Server;
  db: Db;
  config: Config;
  authenticator: Authenticator;
  groups: GroupService;
  messages: MessageService;
  reads: ReadService;
  /** The seed's DM socket (`/ws/dm/{userId}`) sends through it. */
  seedDms: SeedDmService;
  hub: Hub;
  quota: SocketQuota;
  /** Told when a user's subscription opens and closes (presence.join / presence.leave). */
  presence?: PresenceTracker;
  /** Who is online in a group, as the caller may see it (the `presence` frame). */
  onlineUsers: PresenceService;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

/**
 * Every socket door of this node on the one engine: `/ws` (the workspace socket), the seed's
 * group socket `/ws/orgs/{orgId}/groups/{groupId}` and its DM socket `/ws/dm/{userId}`.
 */
export function createSockets(deps: SocketsDeps): SocketServer {
  const { config, hub, metrics, log, messages, groups } = deps;
  const session: SessionDeps = {
    hub,
    metrics,
    log,
    rateLimit: config.wsRateLimit,
    async currentUser(orgId, userId) {
      const row = await findUser(deps.db, orgId, userId);
      return row && { role: row.role, username: row.username };
    },
  };
  const stream: StreamDeps = {
    hub,
    messages,
    metrics,
    log,
    maxBacklogBytes: config.wsMaxBacklogBytes,
    presence: deps.presence,
  };
  return createSocketServer({
    server: deps.server,
    config,
    authenticator: deps.authenticator,
    quota: deps.quota,
    metrics,
    log,
    routes: [
      workspaceRoute({
        authenticator: deps.authenticator,
        groups,
        messages,
        reads: deps.reads,
        onlineUsers: deps.onlineUsers,
        log,
        maxBacklogBytes: config.wsMaxBacklogBytes,
        session,
        stream,
      }),
      dmSeedRoute({ seedDms: deps.seedDms, metrics, log, session }),
      groupSeedRoute({ groups, messages, metrics, log, session, stream }),
    ],
  });
}
