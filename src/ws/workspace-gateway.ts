import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { createOriginPolicy } from '../http/origins.js';
import { bearerToken } from '../modules/auth/authenticator.js';
import type { SocketQuota } from '../realtime/socket-quota.js';
import { CLOSE_SESSION_ENDED } from '../protocol/workspace.js';
import { logRefusal, originAllowed, refuse, UpgradeRefused } from './upgrade.js';
import { WorkspaceConnection } from './workspace-connection.js';
import { WorkspaceUser, type WorkspaceDeps } from './workspace-deps.js';
import { startHeartbeat } from './heartbeat.js';
import { drainSockets } from './shutdown.js';

export interface WorkspaceGateway {
  /** Takes the upgrade when it is for `/ws`; false leaves it to the group socket. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  readonly size: number;
  /**
   * Refuses new upgrades (503), closes every socket with 1001 in batches over SHUTDOWN_DRAIN and
   * waits for them (bounded).
   */
  close(): Promise<void>;
}

const PATH = /^\/ws\/?$/;
const SHUTDOWN_WAIT_MS = 3000;

/**
 * The workspace socket, `GET /ws`. Refusals (403 Origin, 401 token, 403 not a user, 429 the
 * per-user socket cap shared with the group socket, 503 shutting down) are HTTP answers
 * decided before any 101, exactly as for the group socket.
 */
export function createWorkspaceGateway(
  deps: WorkspaceDeps & { quota: SocketQuota },
): WorkspaceGateway {
  const { config, log, metrics } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.wsMaxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const open = new Set<WorkspaceConnection>();
  const origins = createOriginPolicy(config);
  let closing = false;

  async function authorize(req: IncomingMessage): Promise<WorkspaceUser> {
    if (closing) throw new UpgradeRefused('unavailable', 'the server is shutting down');
    if (!originAllowed(req, origins)) {
      throw new UpgradeRefused('forbidden', 'this Origin is not allowed (ALLOWED_ORIGINS)');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token =
      bearerToken(req.headers.authorization) ?? url.searchParams.get('access_token') ?? undefined;
    const p = await deps.authenticator.authenticate(token);
    if (!p) throw new UpgradeRefused('unauthorized', 'missing, invalid or expired token');
    if (p.kind !== 'user') {
      throw new UpgradeRefused(
        'forbidden',
        'the workspace socket is for users; use the group socket',
      );
    }
    return new WorkspaceUser(p.id, p.orgId, p.username, p.role, p.sessionId, p.expiresAt);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => socket.destroy());
    const connId = randomUUID();
    let held: WorkspaceUser | undefined;
    try {
      const user = await authorize(req);
      if (!(await deps.quota.acquire(user.orgId, user.id, connId, config.maxSocketsPerUser))) {
        throw new UpgradeRefused(
          'rate_limited',
          `at most ${config.maxSocketsPerUser} sockets per user (MAX_SOCKETS_PER_USER)`,
        );
      }
      held = user;
      if (closing) throw new UpgradeRefused('unavailable', 'the server is shutting down');
      if (socket.destroyed) throw new UpgradeRefused('bad_request', 'client went away');
      wss.handleUpgrade(req, socket, head, (ws) => {
        held = undefined;
        const conn = new WorkspaceConnection(ws, connId, user, deps);
        attach(conn);
        // As on the group socket: a session that ended while this one was authorized.
        if (deps.authenticator.sessionEnded(user.sessionId))
          conn.closeWith(CLOSE_SESSION_ENDED, 'logged out');
      });
    } catch (err) {
      if (held) void deps.quota.release(held.orgId, held.id, connId);
      logRefusal(log, req, err, refuse(socket, err));
    }
  }

  function attach(conn: WorkspaceConnection) {
    const { ws, user } = conn;
    open.add(conn);
    metrics.wsConnections.inc();
    conn.lastPingAt = Date.now();
    ws.on('error', (err) => log.debug({ err: err.message, conn: conn.id }, 'socket error'));
    ws.on('message', (data, isBinary) => {
      conn.awaitingPong = false;
      conn.onFrame(data as Buffer, isBinary);
    });
    ws.on('pong', () => {
      conn.awaitingPong = false;
    });
    ws.on('close', (code) => {
      open.delete(conn);
      conn.detach();
      void deps.quota.release(user.orgId, user.id, conn.id);
      metrics.wsConnections.dec();
      metrics.wsDisconnects.inc({ code: String(conn.closeCode ?? code) });
    });
    conn.start();
  }

  const heartbeat = startHeartbeat(open, {
    pingIntervalMs: config.wsPingIntervalMs,
    pongTimeoutMs: config.wsPongTimeoutMs,
  });

  return {
    handle(req, socket, head) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (!PATH.test(path)) return false;
      void onUpgrade(req, socket, head);
      return true;
    },
    get size() {
      return open.size;
    },
    async close() {
      closing = true;
      clearInterval(heartbeat);
      await drainSockets([...open], {
        windowMs: config.shutdownDrainMs,
        waitMs: SHUTDOWN_WAIT_MS,
        close: (conn) => conn.closeWith(1001, 'server shutting down'),
      });
      wss.close();
    },
  };
}
