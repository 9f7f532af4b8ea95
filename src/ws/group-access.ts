import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import type { GroupService } from '../modules/groups/groups.service.js';
import { findUser } from '../modules/users/users.repo.js';
import { CLOSE_SESSION_ENDED } from '../protocol/workspace.js';
import type { AccessRevokedEvent } from '../protocol/workspace-events.js';
import type { Connection } from './connection.js';

export interface GroupAccessDeps {
  db: Db;
  groups: GroupService;
  log: FastifyBaseLogger;
}

const LOST_ACCESS = 1008;

/**
 * How a group socket reacts to `access.revoked` on its user's channel. The event travels over
 * the broker, so a logout, deletion, removal or demotion made on any node reaches the group
 * sockets of every node (the workspace socket reacts to the same event in SessionClock).
 */
export function groupAccessHandler(
  deps: GroupAccessDeps,
): (conn: Connection, text: string) => void {
  async function apply(conn: Connection, e: AccessRevokedEvent): Promise<void> {
    const { ctx } = conn;
    switch (e.reason) {
      case 'deleted':
        return conn.closeWith(CLOSE_SESSION_ENDED, 'user deleted');
      case 'logout':
        // Without a session id every session of the user ended (refresh-token reuse).
        if (e.session_id === undefined || e.session_id === ctx.sessionId)
          conn.closeWith(CLOSE_SESSION_ENDED, 'this session was logged out');
        return;
      case 'removed':
        if (e.group_id === ctx.groupId)
          conn.closeWith(LOST_ACCESS, 'no longer a member of this group');
        return;
      case 'role': {
        // A demoted admin keeps a private group only as a member of it.
        const userId = ctx.author.userId;
        if (userId === null) return;
        const row = await findUser(deps.db, ctx.orgId, userId);
        if (!row) return conn.closeWith(CLOSE_SESSION_ENDED, 'user deleted');
        try {
          await deps.groups.access(
            { kind: 'user', id: row.id, orgId: row.orgId, role: row.role, username: row.username },
            ctx.orgId,
            ctx.groupId,
          );
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          conn.closeWith(LOST_ACCESS, 'no longer allowed on this group');
        }
      }
    }
  }

  return (conn, text) => {
    let e: AccessRevokedEvent;
    try {
      e = JSON.parse(text) as AccessRevokedEvent;
    } catch {
      return;
    }
    apply(conn, e).catch((err: unknown) =>
      deps.log.warn({ err, conn: conn.ctx.id }, 'access event not applied to a group socket'),
    );
  };
}
