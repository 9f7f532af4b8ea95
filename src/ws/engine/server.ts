import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../../config.js';
import { createOriginPolicy } from '../../http/origins.js';
import type { Authenticator } from '../../modules/auth/authenticator.js';
import type { Metrics } from '../../modules/ops/metrics.js';
import type { SocketQuota } from '../../realtime/socket-quota.js';
import { startHeartbeat } from './heartbeat.js';
import type { Session } from './session.js';
import { drainSockets } from './shutdown.js';
import { SocketSink } from './sink.js';
import { admit, logRefusal, refuse, UpgradeRefused } from './upgrade.js';

type Admitted = Awaited<ReturnType<typeof admit>>;

/** A socket being opened: its id, the ws, and its sink (the one writer to it). */
export interface OpenSocket {
  id: string;
  sink: SocketSink;
}

/** What a route decided about one upgrade: whose socket cap it takes, and how to open it. */
export interface Admission {
  /**
   * The user (or API key: its id is a UUID no user has) whose MAX_SOCKETS_PER_USER this socket
   * counts against, and how the refusal names it; none for the operator.
   */
  quotaUser: { orgId: string; userId: string; of: string } | undefined;
  /** The reason of a 1013 (how the client resumes after falling behind). */
  backlogReason: string;
  /** Builds the session (bound to its protocol) over the open socket. */
  open(socket: OpenSocket): Session;
}

/** One socket door: a path, and what it checks after Origin and token. */
export interface SocketRoute {
  matches(pathname: string): boolean;
  /** Throws an AppError (answered as HTTP before any 101) to refuse. */
  authorize(req: IncomingMessage, url: URL, principal: Admitted): Promise<Admission>;
}

export interface SocketServerDeps {
  server: Server;
  config: Config;
  authenticator: Authenticator;
  quota: SocketQuota;
  metrics: Metrics;
  log: FastifyBaseLogger;
  routes: SocketRoute[];
}

export interface SocketServer {
  /** Open sockets on this node. */
  readonly size: number;
  /**
   * Refuses new upgrades (503), closes every socket with 1001 in batches over SHUTDOWN_DRAIN and
   * waits for them (bounded).
   */
  close(): Promise<void>;
}

const SHUTDOWN_WAIT_MS = 3000;

/** The close code ws chose for a protocol error (1002, 1007, 1009), kept on a symbol. */
function wsStatusCode(err: Error): number | undefined {
  const key = Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code');
  const code: unknown = key ? Reflect.get(err, key) : undefined;
  return typeof code === 'number' ? code : undefined;
}

const routeFor = (routes: SocketRoute[], pathname: string) =>
  routes.find((r) => r.matches(pathname));
const noop = () => {};
const releaser = (quota: SocketQuota, q: { orgId: string; userId: string }, id: string) => () =>
  void quota.release(q.orgId, q.userId, id);

/**
 * Every socket of this node, on the HTTP server's `upgrade` event: one upgrade path (Origin
 * 403, token 401, the route's own checks, the per-user cap 429, shutting down 503; every
 * refusal an HTTP answer with the JSON error body, decided before any 101, so a refused
 * client never holds a socket), one heartbeat, one shutdown drain.
 */
export function createSocketServer(deps: SocketServerDeps): SocketServer {
  const { config, metrics, log } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.wsMaxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const open = new Set<Session>();
  const origins = createOriginPolicy(config);
  let closing = false;

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    // Without a listener a client resetting the connection mid-check would crash the process.
    socket.on('error', () => socket.destroy());
    const id = randomUUID();
    let held: { orgId: string; userId: string } | undefined;
    try {
      if (closing) throw new UpgradeRefused('unavailable', 'the server is shutting down');
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = routeFor(deps.routes, url.pathname);
      if (!route) throw new UpgradeRefused('not_found', `no socket at ${url.pathname}`);
      const principal = await admit(req, url, { origins, authenticator: deps.authenticator });
      const admission = await route.authorize(req, url, principal);
      const q = admission.quotaUser;
      if (q) {
        if (!(await deps.quota.acquire(q.orgId, q.userId, id, config.maxSocketsPerUser))) {
          throw new UpgradeRefused(
            'rate_limited',
            `at most ${config.maxSocketsPerUser} sockets per ${q.of} (MAX_SOCKETS_PER_USER)`,
          );
        }
        held = q;
      }
      if (closing) throw new UpgradeRefused('unavailable', 'the server is shutting down');
      if (socket.destroyed) throw new UpgradeRefused('bad_request', 'client went away');
      // Made outside this scope: a closure made here would keep its variables (the URL with
      // the token, the admission) alive for the socket's life (+0.5 KiB per idle socket).
      const release = held ? releaser(deps.quota, held, id) : noop;
      wss.handleUpgrade(req, socket, head, (ws) => {
        held = undefined;
        const raw = socket instanceof Socket ? socket : undefined;
        attach(ws, admission, id, raw, release);
      });
    } catch (err) {
      if (held) void deps.quota.release(held.orgId, held.userId, id);
      logRefusal(log, req, err, refuse(socket, err));
    }
  }

  function attach(
    ws: WebSocket,
    admission: Admission,
    id: string,
    raw: Socket | undefined,
    release: () => void,
  ) {
    const sink = new SocketSink(ws, raw, {
      maxBacklogBytes: config.wsMaxBacklogBytes,
      backlogReason: admission.backlogReason,
      onBacklog: () => {
        metrics.wsBacklogCloses.inc();
        // Called only once the session exists (it is what writes).
        s.detach();
      },
    });
    const s = admission.open({ id, sink });
    open.add(s);
    metrics.wsConnections.inc();
    s.lastPingAt = Date.now();
    // Malformed frames (unmasked, bad UTF-8, reserved opcodes, oversized) surface here; ws
    // then closes that socket with the matching code. Nothing else is affected.
    ws.on('error', (err) => {
      sink.closeCode ??= wsStatusCode(err);
      log.debug({ err: err.message, conn: id }, 'socket error');
    });
    ws.on('message', (data, isBinary) => s.receive(data as Buffer, isBinary));
    ws.on('pong', () => {
      s.awaitingPong = false;
    });
    ws.on('close', (code) => {
      open.delete(s);
      s.detach();
      release();
      metrics.wsConnections.dec();
      metrics.wsDisconnects.inc({ code: String(sink.closeCode ?? code) });
    });
    void s.start();
    // It listens for `access.revoked` now; a session that ended while it was authorized
    // sent its event before that, so it is asked here.
    s.endedMeanwhile(deps.authenticator);
  }

  const heartbeat = startHeartbeat(open, {
    pingIntervalMs: config.wsPingIntervalMs,
    pongTimeoutMs: config.wsPongTimeoutMs,
  });

  deps.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
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
        close: (s) => s.close(1001, 'server shutting down'),
      });
      // The listener stays: until the HTTP server stops listening, an upgrade gets a 503
      // (retry elsewhere), never the router's 404 (which clients take as permanent).
      wss.close();
    },
  };
}
