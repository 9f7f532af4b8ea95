import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocketServer } from 'ws';
import type { Config } from '../config.js';
import { createOriginPolicy } from '../http/origins.js';
import type { Authenticator } from '../modules/auth/authenticator.js';
import { authorOf } from '../modules/auth/principal.js';
import type { GroupService } from '../modules/groups/groups.service.js';
import type { MessageService } from '../modules/messages/messages.service.js';
import type { Metrics } from '../modules/ops/metrics.js';
import { channels } from '../realtime/channels.js';
import type { Hub } from '../realtime/hub.js';
import type { PresenceTracker } from '../realtime/presence-events.js';
import type { SocketQuota } from '../realtime/socket-quota.js';
import type { Db } from '../db/database.js';
import { CLOSE_SESSION_ENDED } from '../protocol/workspace.js';
import type { SeedDmService } from '../modules/dms/seed-dms.service.js';
import type { PresenceSocket } from '../realtime/presence-events.js';
import { Connection } from './connection.js';
import { DmConnection } from './dm-connection.js';
import { groupAccessHandler } from './group-access.js';
import {
  authorize,
  authorizeDm,
  isDmSocketPath,
  logRefusal,
  refuse,
  UpgradeRefused,
} from './upgrade.js';
import { startHeartbeat, type Heartbeating } from './heartbeat.js';
import { drainSockets } from './shutdown.js';

export interface GatewayDeps {
  server: Server;
  db: Db;
  config: Config;
  authenticator: Authenticator;
  groups: GroupService;
  messages: MessageService;
  /** The seed's DM socket (`/ws/dm/{userId}`) sends through it. */
  seedDms: SeedDmService;
  hub: Hub;
  quota: SocketQuota;
  /** Told when users' sockets open and close (presence.join / presence.leave). */
  presence?: PresenceTracker;
  metrics: Metrics;
  log: FastifyBaseLogger;
  /** Another socket endpoint (the workspace socket): true when it took this upgrade. */
  delegate?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export interface Gateway {
  /** Open sockets on this node. */
  readonly size: number;
  /**
   * Refuses new upgrades (503), closes every socket with 1001 in batches over SHUTDOWN_DRAIN and
   * waits for them (bounded).
   */
  close(): Promise<void>;
}

const SHUTDOWN_WAIT_MS = 3000;

/** What the gateway attaches, heartbeats, expires and drains: a group or a DM socket. */
interface GatewaySocket extends Heartbeating {
  readonly id: string;
  readonly expiresAt: number | undefined;
  onFrame(data: Buffer, isBinary: boolean): void;
  start(): void | Promise<void>;
  detach(): void;
  closeWith(code: number, reason: string): void;
}

/** The close code ws chose for a protocol error (1002, 1007, 1009), kept on a symbol. */
/**
 * A socket lives no longer than the access token that opened it: at expiry it is closed with
 * 4001 and the client reconnects with a fresh token (resuming with since_seq, nothing lost).
 */
function closeAtExpiry(conn: GatewaySocket): NodeJS.Timeout | undefined {
  const exp = conn.expiresAt;
  if (exp === undefined) return undefined;
  // setTimeout holds at most 2^31-1 ms (~24.8 days); a longer token is cut then, and renewed.
  const delay = Math.min(Math.max(0, exp * 1000 - Date.now()), 2 ** 31 - 1);
  const timer = setTimeout(
    () => conn.closeWith(4001, 'access token expired: reconnect with a fresh token'),
    delay,
  );
  timer.unref();
  return timer;
}

function wsStatusCode(err: Error): number | undefined {
  const key = Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code');
  const code = key ? (err as unknown as Record<symbol, unknown>)[key] : undefined;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The seed's group socket, `GET /ws/orgs/{orgId}/groups/{groupId}`, on the HTTP server's
 * `upgrade` event. Every refusal (401, 404, 403, 429, 503) is an HTTP answer with the JSON
 * error body, decided before any 101, so a refused client never holds a socket.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const { config, metrics, log, hub } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.wsMaxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const open = new Set<GatewaySocket>();
  const origins = createOriginPolicy(config);
  let closing = false;
  // Logout, deletion, removal and role changes arrive as `access.revoked` on the user channel,
  // from whichever node made them.
  const onAccess = groupAccessHandler({ db: deps.db, groups: deps.groups, log });

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    // Without a listener a client resetting the connection mid-check would crash the process.
    socket.on('error', () => socket.destroy());
    const connId = randomUUID();
    let slot: { orgId: string; userId: string } | undefined;
    try {
      if (closing) throw new UpgradeRefused('unavailable', 'the server is shutting down');
      if (isDmSocketPath(req.url)) return await upgradeDm(req, socket, head, connId);
      const a = await authorize(req, { ...deps, origins });
      // An API key is held to the same cap as a user (its id is a UUID no user has).
      if (a.principal.kind !== 'operator') {
        slot = { orgId: a.orgId, userId: a.principal.id };
        if (
          !(await deps.quota.acquire(a.orgId, a.principal.id, connId, config.maxSocketsPerUser))
        ) {
          slot = undefined;
          throw new UpgradeRefused(
            'rate_limited',
            `at most ${config.maxSocketsPerUser} sockets per user or API key (MAX_SOCKETS_PER_USER)`,
          );
        }
      }
      if (closing) throw new UpgradeRefused('unavailable', 'the server is shutting down');
      if (socket.destroyed) throw new UpgradeRefused('bad_request', 'client went away');
      wss.handleUpgrade(req, socket, head, (ws) => {
        const p = a.principal;
        const conn = new Connection(
          ws,
          {
            id: connId,
            orgId: a.orgId,
            groupId: a.groupId,
            access: a.access,
            groupChannel: channels.group(a.orgId, a.groupId),
            otherChannels:
              p.kind === 'user'
                ? [channels.org(a.orgId), channels.user(a.orgId, p.id)]
                : p.kind === 'apiKey'
                  ? [channels.org(a.orgId), channels.apiKey(a.orgId, p.id)]
                  : [channels.org(a.orgId)],
            author: { ...authorOf(p), clientId: a.clientId },
            sinceSeq: a.sinceSeq,
            expiresAt: p.expiresAt,
            sessionId: p.sessionId,
            events: a.events,
          },
          {
            hub,
            messages: deps.messages,
            metrics,
            log,
            rateLimit: config.wsRateLimit,
            maxBacklogBytes: config.wsMaxBacklogBytes,
          },
        );
        // A key's revocation arrives as `access.revoked` on its own channel.
        if (p.kind !== 'operator') conn.onAccess = onAccess;
        const held = slot;
        slot = undefined;
        const { orgId, groupId, author } = conn.ctx;
        attach(
          conn,
          held ? () => void deps.quota.release(held.orgId, held.userId, connId) : () => {},
          author.userId === null
            ? undefined
            : { connId, orgId, groupId, userId: author.userId, username: author.username },
        );
        // It listens for `access.revoked` now; a session that ended while it was authorized
        // sent its event before that, so it is asked here.
        if (
          deps.authenticator.sessionEnded(p.kind === 'user' ? p.sessionId : undefined) ||
          (p.kind === 'apiKey' && deps.authenticator.keyRevoked(p.id))
        )
          conn.closeWith(CLOSE_SESSION_ENDED, 'this session was logged out');
      });
    } catch (err) {
      if (slot) void deps.quota.release(slot.orgId, slot.userId, connId);
      refused(req, socket, err);
    }
  }

  function refused(req: IncomingMessage, socket: Duplex, err: unknown) {
    logRefusal(log, req, err, refuse(socket, err));
  }

  /** `/ws/dm/{userId}`: the same checks, socket cap, heartbeat, expiry and drain. */
  async function upgradeDm(req: IncomingMessage, socket: Duplex, head: Buffer, connId: string) {
    const a = await authorizeDm(req, { ...deps, origins });
    const { orgId, principal: p } = a;
    if (!(await deps.quota.acquire(orgId, p.id, connId, config.maxSocketsPerUser))) {
      throw new UpgradeRefused(
        'rate_limited',
        `at most ${config.maxSocketsPerUser} sockets per user (MAX_SOCKETS_PER_USER)`,
      );
    }
    const release = () => void deps.quota.release(orgId, p.id, connId);
    if (closing || socket.destroyed) {
      release();
      throw new UpgradeRefused(
        closing ? 'unavailable' : 'bad_request',
        closing ? 'the server is shutting down' : 'client went away',
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new DmConnection(
        ws,
        {
          id: connId,
          principal: { kind: 'user', id: p.id, orgId, role: p.role, username: p.username },
          clientId: a.clientId,
          expiresAt: p.expiresAt,
          sessionId: p.sessionId,
        },
        {
          hub,
          seedDms: deps.seedDms,
          metrics,
          log,
          rateLimit: config.wsRateLimit,
          maxBacklogBytes: config.wsMaxBacklogBytes,
        },
      );
      attach(conn, release, undefined);
      // As on the group socket: a session that ended while this one was authorized.
      if (deps.authenticator.sessionEnded(p.sessionId))
        conn.closeWith(CLOSE_SESSION_ENDED, 'this session was logged out');
    });
  }

  function attach(conn: GatewaySocket, release: () => void, who: PresenceSocket | undefined) {
    const { ws } = conn;
    open.add(conn);
    metrics.wsConnections.inc();
    if (who) deps.presence?.connected(who);
    conn.lastPingAt = Date.now();
    const expiry = closeAtExpiry(conn);
    // Malformed frames (unmasked, bad UTF-8, reserved opcodes, oversized) surface here; ws
    // then closes that socket with the matching code. Nothing else is affected.
    ws.on('error', (err) => {
      conn.closeCode ??= wsStatusCode(err);
      log.debug({ err: err.message, conn: conn.id }, 'socket error');
    });
    ws.on('message', (data, isBinary) => {
      conn.awaitingPong = false;
      conn.onFrame(data as Buffer, isBinary);
    });
    ws.on('pong', () => {
      conn.awaitingPong = false;
    });
    ws.on('close', (code) => {
      clearTimeout(expiry);
      open.delete(conn);
      conn.detach();
      release();
      if (who) deps.presence?.disconnected(who);
      metrics.wsConnections.dec();
      metrics.wsDisconnects.inc({ code: String(conn.closeCode ?? code) });
    });
    void conn.start();
  }

  const heartbeat = startHeartbeat(open, {
    pingIntervalMs: config.wsPingIntervalMs,
    pongTimeoutMs: config.wsPongTimeoutMs,
  });

  deps.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (deps.delegate?.(req, socket, head)) return;
    void onUpgrade(req, socket, head);
  });

  return {
    get size() {
      return open.size;
    },
    async close() {
      closing = true;
      clearInterval(heartbeat);
      await drainSockets([...open], {
        windowMs: config.shutdownDrainMs,
        waitMs: SHUTDOWN_WAIT_MS,
        close: (conn) => {
          conn.detach();
          conn.closeWith(1001, 'server shutting down');
        },
      });
      // The listener stays: until the HTTP server stops listening, an upgrade gets a 503
      // (retry elsewhere), never the router's 404 (which clients take as permanent).
      wss.close();
    },
  };
}
