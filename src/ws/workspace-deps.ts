import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Authenticator } from '../modules/auth/authenticator.js';
import type { UserPrincipal } from '../modules/auth/principal.js';
import type { GroupService } from '../modules/groups/groups.service.js';
import type { MessageService } from '../modules/messages/messages.service.js';
import type { Metrics } from '../modules/ops/metrics.js';
import type { PresenceService } from '../modules/presence/presence.service.js';
import type { ReadService } from '../modules/reads/reads.service.js';
import { channels } from '../realtime/channels.js';
import type { Hub } from '../realtime/hub.js';
import type { PresenceTracker } from '../realtime/presence-events.js';

export interface WorkspaceDeps {
  config: Config;
  db: Db;
  authenticator: Authenticator;
  groups: GroupService;
  messages: MessageService;
  reads: ReadService;
  hub: Hub;
  presence?: PresenceTracker;
  /** Who is online in a group, as the caller may see it (the `presence` frame). */
  onlineUsers: PresenceService;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

/** Who a workspace socket speaks for; the role and expiry change in-band (`auth` frame). */
export class WorkspaceUser {
  constructor(
    readonly id: string,
    readonly orgId: string,
    public username: string,
    public role: 'admin' | 'member',
    /** The login session (refresh token family) of the access token, when it names one. */
    public sessionId: string | undefined,
    /** Unix seconds. */
    public expiresAt: number | undefined,
  ) {}

  principal(): UserPrincipal {
    return {
      kind: 'user',
      id: this.id,
      orgId: this.orgId,
      role: this.role,
      username: this.username,
    };
  }

  /** The channels a workspace socket joins once, whatever groups it subscribes to. */
  channels(): string[] {
    return [channels.org(this.orgId), channels.user(this.orgId, this.id)];
  }
}
