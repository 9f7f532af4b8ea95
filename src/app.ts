import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { openPglite, openPostgres, type Database } from './db/database.js';
import { installAuthHook } from './http/auth-hook.js';
import type { Api } from './http/api.js';
import { createHttpServer } from './http/server.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { registerAuthRoutes } from './http/routes/auth.routes.js';
import { createAuthenticator } from './modules/auth/authenticator.js';
import { createApiKeyCache } from './modules/api-keys/api-key-cache.js';
import {
  findActiveKeyByHash,
  revokedKeysSince,
  touchLastUsed,
} from './modules/api-keys/api-keys.repo.js';
import { createApiKeyService } from './modules/api-keys/api-keys.service.js';
import { createLastUsedRecorder } from './modules/api-keys/last-used.js';
import { registerApiKeyRoutes } from './http/routes/api-keys.routes.js';
import { revokedFamiliesSince } from './modules/auth/refresh-tokens.repo.js';
import { createSessionRevocations } from './modules/auth/session-revocations.js';
import { createTokenService, type TokenService } from './modules/auth/tokens.js';
import { createGroupService } from './modules/groups/groups.service.js';
import { createMetrics, type Metrics } from './modules/ops/metrics.js';
import { registerOpsRoutes } from './http/routes/ops.routes.js';
import { registerOrgRoutes } from './http/routes/orgs.routes.js';
import { createOrgService } from './modules/orgs/orgs.service.js';
import { registerUserRoutes } from './http/routes/users.routes.js';
import { registerNotificationRoutes } from './http/routes/notifications.routes.js';
import { createNotificationService } from './modules/notifications/notifications.service.js';
import { createReminderScheduler } from './modules/tasks/reminder-scheduler.js';
import { registerTaskRoutes } from './http/routes/tasks.routes.js';
import { createTaskService } from './modules/tasks/tasks.service.js';
import type { EventSink } from './realtime/events.js';
import { createUserService } from './modules/users/users.service.js';
import { startPurgeJob } from './modules/messages/messages.purge.js';
import { registerMessageRoutes } from './http/routes/messages.routes.js';
import { createMessageService, messageGapSource } from './modules/messages/messages.service.js';
import { lastSeqOf, lastSeqsOf } from './modules/messages/messages.repo.js';
import { createEventSink } from './realtime/event-sink.js';
import { Hub } from './realtime/hub.js';
import { channels } from './realtime/channels.js';
import { accessRevoked, createSockets } from './ws/sockets.js';
import { createReadService } from './modules/reads/reads.service.js';
import { registerReadRoutes } from './http/routes/reads.routes.js';
import { registerDmRoutes } from './http/routes/dms.routes.js';
import { createDmService } from './modules/dms/dms.service.js';
import { createDmCopies } from './modules/dms/dms.copies.js';
import { createSeedDmService } from './modules/dms/seed-dms.service.js';
import { registerSeedDmRoutes } from './http/routes/seed-dms.routes.js';
import type { MemoryBus } from './realtime/broker-memory.js';
import { clusterName, memoryBackend, redisBackend } from './realtime/backend.js';
import { createPresenceTracker } from './realtime/presence-events.js';
import { registerPresenceRoutes } from './http/routes/presence.routes.js';
import { createPresenceService } from './modules/presence/presence.service.js';
import { groupAddedEvent } from './modules/orgs/orgs.mapper.js';
import type { Broker } from './realtime/broker.js';
import { warnOfPlaceholderSecrets } from './shared/placeholder-secrets.js';
import {
  lockDataDir,
  loadSecrets,
  warnOfNodeLocalSecrets,
  type Secrets,
} from './shared/data-dir.js';
import { makePrivate } from './shared/private-dir.js';

const LISTEN_BACKLOG = 4096;
/** How long shutdown waits for stores in flight (the whole shutdown has 30 s). */
const STORE_DRAIN_MS = 20_000;

export interface AppOptions {
  config: Config;
  /** Where logs go (tests capture them); stdout when absent. */
  logStream?: DestinationStream;
  /** Several apps in one process sharing a bus behave as a cluster (tests). */
  memoryBus?: MemoryBus;
  /** Process-wide metrics (event loop, memory): on for the real server, off in tests. */
  defaultMetrics?: boolean;
  /** How often due reminders are claimed (ms); tests shorten it. Default 1000. */
  reminderIntervalMs?: number;
  /** How often API keys' `last_used_at` is written (ms); tests shorten it. Default 5000. */
  apiKeyFlushMs?: number;
}

export interface OrgHubApp {
  readonly http: Api;
  readonly config: Config;
  readonly database: Database;
  readonly secrets: Secrets;
  readonly tokens: TokenService;
  readonly broker: Broker;
  readonly metrics: Metrics;
  /** Live events to users' and orgs' sockets on every node (domain services use it). */
  readonly events: EventSink;
  /** Starts listening; resolves with the base URL (http://host:port). */
  listen(): Promise<string>;
  /** Stops accepting, closes sockets with 1001, finishes in-flight work, releases everything. */
  close(): Promise<void>;
}

const WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

/**
 * The composition root: the only place that chooses between PGlite and PostgreSQL and
 * between the in-process and Redis brokers, and that wires services to routes.
 */
export async function buildApp(opts: AppOptions): Promise<OrgHubApp> {
  const { config } = opts;
  const cleanups: Array<() => Promise<void>> = [];
  const runCleanups = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    if (!config.databaseUrl) cleanups.push(await lockDataDir(config.dataDir));
    const secrets = await loadSecrets(config.dataDir, config);

    const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics ?? false });
    const http = await createHttpServer({
      config,
      metrics,
      ...(opts.logStream && { logStream: opts.logStream }),
    });
    // DATA_DIR holds the secrets and, embedded, the database (password hashes, messages).
    const keepDataDirPrivate = async () => {
      const failed = await makePrivate(config.dataDir);
      if (failed.length > 0)
        http.log.warn(
          { err: failed[0]!.message, count: failed.length },
          'DATA_DIR: could not make every entry 0700/0600 (is it owned by this user?)',
        );
    };
    await keepDataDirPrivate();
    // Closed once, before the database (below), so in-flight requests finish on open pools.
    let httpClosed: Promise<unknown> | undefined;
    const closeHttp = async () => {
      httpClosed ??= http.close();
      await httpClosed;
    };
    cleanups.push(closeHttp);

    // Fan-out, presence, the socket cap and rate limits: in memory, or shared over Redis
    // (connected first: a wrong REDIS_URL fails the start at once).
    const backend = config.redisUrl
      ? await redisBackend({
          redisUrl: config.redisUrl,
          cluster: clusterName(config.databaseUrl, config.dataDir),
          retentionMs: config.messageRetentionMs,
          log: http.log,
        })
      : memoryBackend(opts.memoryBus);
    cleanups.push(() => backend.close());
    const broker: Broker = backend.broker;
    warnOfNodeLocalSecrets(config, http.log);
    warnOfPlaceholderSecrets(config, http.log);

    const database = config.databaseUrl
      ? await openPostgres(config.databaseUrl, {
          poolSize: config.dbPoolSize,
          statementTimeoutMs: config.dbStatementTimeoutMs,
          onError: (err) => http.log.warn({ err: err.message }, 'database connection lost'),
          onQuery: () => metrics.dbQueries.inc(),
        })
      : await openPglite(path.join(config.dataDir, 'pg'), () => metrics.dbQueries.inc());
    // PGlite's own files come with modes of its choosing: narrowed once it is open, and again
    // once it has written its last ones at close.
    if (database.driver === 'pglite') await keepDataDirPrivate();
    cleanups.push(async () => {
      // Cleanups run in reverse: the sockets are closed by now; stop accepting requests and
      // let those in flight finish while the database (and Redis, closed next) still answer.
      await closeHttp().catch(() => {});
      await database.close();
      if (database.driver === 'pglite') await keepDataDirPrivate();
    });
    const db = database.db;

    // Resumes and gap fills read recent history from the Redis cache when it holds it whole.
    const history = backend.history(
      messageGapSource(db, config.messageRetentionMs),
      (orgId, groupId) => lastSeqOf(db, orgId, groupId),
      (source) => metrics.historyReads.inc({ source }),
    );
    // Realtime: this node's sockets by channel; the broker carries frames to other nodes.
    const realtimeWarnedAt = new Map<string, number>();
    const hub = new Hub({
      broker,
      store: history,
      // Resumes, duplicates and a periodic audit of quiet groups compare the hub's view with
      // the store, so a lost publish delays a message by seconds at most, never for ever.
      newest: (keys) => lastSeqsOf(db, keys),
      onDelivered: (frames, bytes) => {
        metrics.deliveries.inc(frames);
        metrics.bytesOut.inc(bytes);
      },
      onGapFill: () => metrics.gapFills.inc(),
      onError: (err, what) => {
        // A lost or hung Redis fails every publish: one line per kind every 10 s, not one per message.
        const now = Date.now();
        if (now - (realtimeWarnedAt.get(what) ?? 0) < 10_000) return;
        realtimeWarnedAt.set(what, now);
        http.log.warn({ err }, `realtime ${what} failed`);
      },
    });
    cleanups.push(async () => hub.close());
    const events = createEventSink(hub, (err) => http.log.warn({ err }, 'live event dropped'));

    // Ended sessions, known in memory on every node (the authenticator asks it, no query).
    const revocations = createSessionRevocations({
      hub,
      onResync: (h) => broker.onResync(h),
      revokedSince: (since) => revokedFamiliesSince(db, since),
      accessTtlSec: config.accessTokenTtlSec,
      onError: (err) => http.log.warn({ err }, 'session revocations not loaded'),
    });
    cleanups.push(async () => revocations.close());
    await revocations.load();
    // Ended sessions: refused by every node's authenticator, and their sockets closed (4003).
    const endSessions = (
      orgId: string,
      userId: string,
      sessionIds: readonly string[],
      close: 'each' | 'all' | 'deleted',
    ) =>
      revocations.revoke({
        orgId,
        userId,
        sessionIds,
        events:
          close === 'each'
            ? sessionIds.map((session) => accessRevoked('logout', { session_id: session }))
            : [accessRevoked(close === 'all' ? 'logout' : 'deleted')],
      });

    // API keys: known in memory on every node, revoked over the broker like sessions; their
    // use is written every few seconds (and at shutdown: this runs after the HTTP server and
    // the sockets closed, before the database does).
    const apiKeyCache = createApiKeyCache({
      hub,
      findByHash: (hash) => findActiveKeyByHash(db, hash),
      revokedSince: (since) => revokedKeysSince(db, since),
      onResync: (h) => broker.onResync(h),
      // Its group sockets on this node close (4003), as for an ended session.
      onRevoked: (orgId, keyId) => {
        const event = accessRevoked('logout');
        hub.receive({
          channel: channels.apiKey(orgId, keyId),
          type: event.type,
          frame: JSON.stringify(event),
        });
      },
      onError: (err) => http.log.warn({ err }, 'API key revocations not loaded'),
    });
    cleanups.push(async () => apiKeyCache.close());
    await apiKeyCache.load();
    const lastUsed = createLastUsedRecorder({
      write: (used) => touchLastUsed(db, used),
      flushEveryMs: opts.apiKeyFlushMs ?? 5000,
      onError: (err) => http.log.warn({ err }, 'API key last_used_at not written'),
    });
    cleanups.push(() =>
      lastUsed.close().catch((err: unknown) => {
        http.log.warn({ err }, 'API key last_used_at not written at shutdown');
      }),
    );

    const tokens = createTokenService({
      jwtSecret: secrets.jwtSecret,
      adminToken: secrets.adminToken,
      accessTtlSec: config.accessTokenTtlSec,
    });
    const authenticator = createAuthenticator(db, tokens, revocations, {
      authenticate: (key) => apiKeyCache.authenticate(key),
      used: (id) => lastUsed.used(id),
      isRevoked: (id) => apiKeyCache.isRevoked(id),
    });
    installAuthHook(http, authenticator);

    const auth = createAuthService({
      db,
      tokens,
      refreshTtlSec: config.refreshTokenTtlSec,
      limiters: backend.limiters,
      signupOpen: config.signup === 'open',
      // Access changes reach the user's sockets (workspace and group) on every node (user channel).
      events: {
        sessionsRevoked: (o, u, sessions) => endSessions(o, u, sessions, 'all'),
        loggedOut: (o, u, session) => endSessions(o, u, [session], 'each'),
      },
    });
    const orgs = createOrgService(db);
    const users = createUserService(db, {
      userChanged: (orgId, userId, change) => events.toUser(orgId, userId, accessRevoked(change)),
      sessionsEnded: (orgId, userId, sessions, cause) =>
        endSessions(orgId, userId, sessions, cause === 'others' ? 'each' : cause),
    });
    const groups = createGroupService(db, {
      // Losing access to a private group ends the sockets on it at once.
      memberRemoved: (orgId, groupId, userId) =>
        events.toUser(orgId, userId, accessRevoked('removed', { group_id: groupId })),
      // Lists follow live: a new public group to the org, a private one to its new member.
      groupAdded: (g, audience) =>
        'org' in audience
          ? events.toOrg(g.orgId, groupAddedEvent(g))
          : events.toUser(g.orgId, audience.userId, groupAddedEvent(g)),
    });

    // Every DM message is also copied to its two users' channels (the seed's `/ws/dm`).
    const dmCopies = createDmCopies(db, hub, (err) => http.log.warn({ err }, 'DM copy dropped'));
    const messages = createMessageService({
      db,
      hub,
      groups,
      metrics,
      history,
      retentionMs: config.messageRetentionMs,
      maxMessageChars: config.maxMessageChars,
      dmStored: (m) => dmCopies.stored(m),
    });
    // Runs after the sockets closed (below, cleanups run in reverse) and before the hub, the
    // broker and the database close: requests in flight finish, then every store begun (a
    // socket's last frames, held by a slow database) commits and is published to the other
    // nodes; a row committed after the hub closed would reach nobody (issue 16, defect 7).
    cleanups.push(async () => {
      await closeHttp().catch(() => {});
      await messages.drain(STORE_DRAIN_MS);
    });
    const purge = startPurgeJob(db, {
      retentionMs: config.messageRetentionMs,
      onError: (err) => http.log.warn({ err }, 'message purge failed'),
      onPass: (r) => http.log.info(r, 'message retention pass'),
    });
    cleanups.push(() => purge.stop());

    registerOpsRoutes(
      http,
      { database: () => database.ping(), ...(backend.check && { broker: backend.check }) },
      metrics,
      { metricsToken: config.metricsToken },
    );
    registerAuthRoutes(http, auth, users);
    registerOrgRoutes(http, orgs, groups);
    registerUserRoutes(http, users);
    registerMessageRoutes(http, messages);
    registerApiKeyRoutes(http, createApiKeyService(db, apiKeyCache));
    const presence = createPresenceService({
      groups,
      online: (orgId, groupId) => backend.presence.list(orgId, groupId),
    });
    registerPresenceRoutes(http, presence);
    // The workspace socket (`/ws`: every group of a user on one connection), read cursors, DMs.
    const presenceTracker = createPresenceTracker(backend.presence, hub, (err) =>
      http.log.warn({ err }, 'presence update failed'),
    );
    const reads = createReadService({ db, groups, events });
    registerReadRoutes(http, reads);
    const dms = createDmService({ db, events });
    registerDmRoutes(http, dms);
    const seedDms = createSeedDmService({
      db,
      dms,
      groups,
      messages,
      connected: (orgId, ids) => backend.sockets.connected(orgId, ids),
    });
    registerSeedDmRoutes(http, seedDms);
    // Every socket (`/ws`, the seed's group and DM sockets) on one engine. Cleanups run in
    // reverse, so the sockets' close (1001, in batches over SHUTDOWN_DRAIN) runs before the
    // HTTP server's.
    const sockets = createSockets({
      server: http.server,
      db,
      config,
      authenticator,
      groups,
      messages,
      reads,
      seedDms,
      hub,
      quota: backend.sockets,
      presence: presenceTracker,
      onlineUsers: presence,
      metrics,
      log: http.log,
    });

    // Task events and reminders reach the task user's sockets through the realtime sink.
    registerTaskRoutes(http, createTaskService({ db, events, users }));
    registerNotificationRoutes(http, createNotificationService(db));
    const reminders = createReminderScheduler({
      db,
      events,
      intervalMs: opts.reminderIntervalMs ?? 1000,
      onError: (err) => http.log.warn({ err }, 'reminder run failed'),
    });
    cleanups.push(async () => {
      // Sockets close first (1001, so clients go elsewhere) whatever the database does: a
      // reminder run held by a hung database must not keep them on a node that is stopping.
      const remindersStopped = reminders.stop();
      await sockets.close();
      await remindersStopped;
    });

    if (existsSync(path.join(WEB_DIST, 'index.html'))) {
      await http.register(fastifyStatic, { root: WEB_DIST, wildcard: false });
      // Client-side routes of the single-page app fall back to index.html.
      http.get('/app/*', { config: { public: true }, schema: { hide: true } }, (_req, reply) =>
        reply.sendFile('index.html'),
      );
    }

    await http.ready();
    // The first run fires reminders that came due while no server was running.
    reminders.start();

    let closing: Promise<void> | undefined;
    return {
      http,
      config,
      database,
      secrets,
      tokens,
      broker,
      metrics,
      events,
      async listen() {
        // After a restart every client reconnects at once; Node's default accept backlog
        // (511) would drop part of that storm (the kernel caps it at net.core.somaxconn).
        await http.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
        const addr = http.server.address();
        const port = typeof addr === 'object' && addr ? addr.port : config.port;
        const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
        return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      },
      close() {
        closing ??= runCleanups();
        return closing;
      },
    };
  } catch (err) {
    await runCleanups();
    throw err;
  }
}
