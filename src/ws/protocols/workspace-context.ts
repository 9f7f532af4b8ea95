import type { FastifyBaseLogger } from 'fastify';
import type { Authenticator } from '../../modules/auth/authenticator.js';
import type { UserPrincipal } from '../../modules/auth/principal.js';
import type { GroupService } from '../../modules/groups/groups.service.js';
import type { MessageService } from '../../modules/messages/messages.service.js';
import type { PresenceService } from '../../modules/presence/presence.service.js';
import type { ReadService } from '../../modules/reads/reads.service.js';
import type { WorkspaceError } from '../../protocol/workspace.js';
import type { OutValue } from '../engine/out-frame.js';
import type { Session, SessionDeps } from '../engine/session.js';
import type { StreamDeps } from '../engine/stream.js';
import type { PendingReplies } from './workspace-sink.js';

export interface WorkspaceDeps {
  authenticator: Authenticator;
  groups: GroupService;
  messages: MessageService;
  reads: ReadService;
  /** Who is online in a group, as the caller may see it (the `presence` frame). */
  onlineUsers: PresenceService;
  log: FastifyBaseLogger;
  maxBacklogBytes: number;
  session: SessionDeps;
  stream: StreamDeps;
}

/** What the workspace socket's request handlers (subscribe, publish) work on. */
export interface WorkspaceContext {
  readonly session: Session;
  readonly deps: WorkspaceDeps;
  /** Messages this socket published and has not seen in its streams yet. */
  readonly replies: PendingReplies;
  readonly user: UserPrincipal;
  reply(value: OutValue): void;
  error(req: string | null, code: WorkspaceError['code'], message: string, groupId?: string): void;
}
