import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { runServer, type Server } from '../foundation/process.js';
import { pollUntil } from '../helpers/wait.js';

/**
 * A whole OrgHub deployment for fault tests: a private PostgreSQL (initdb in a temporary
 * directory), a private redis-server and N OrgHub nodes as real processes (`node dist/main.js`,
 * so `npm run build` first), all on fixed ports of the suite's own range, sharing JWT_SECRET
 * and ADMIN_TOKEN. Every part can be killed (-9), paused (SIGSTOP), resumed and restarted.
 * The tests that use it assert on what clients saw against what PostgreSQL holds.
 */
export interface FaultCluster {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  nodes: ClusterNode[];
  adminToken: string;
  /** A direct pool on the private PostgreSQL, for the assertions. */
  sql: pg.Pool;
  orgId: string;
  /** A member of the org, created over HTTP, with an access token from the login route. */
  user(name?: string): Promise<{ id: string; name: string; token: string }>;
  /** Signs a member in again (node 0's login route): a fresh access token. */
  login(name: string): Promise<string>;
  group(id: string): Promise<void>;
  /** The group's stored messages by seq. */
  stored(groupId: string): Promise<StoredRow[]>;
  /** Node exits that no helper asked for (a crash): must stay empty. */
  unexpectedExits: string[];
  /**
   * Where every node's stdout and stderr go (`node<i>.log`, every start appended with a
   * header); `destroy({ keepLogs: true })` leaves them there for a failed run to be read.
   */
  logDir: string;
  /** The last `bytes` of each node's log, headed by its path: what a failure prints. */
  logTails(bytes?: number): string;
  /** Writes a line into every node's log (a case's start), so the logs can be read by case. */
  note(line: string): void;
  destroy(opts?: { keepLogs?: boolean }): Promise<void>;
}

export interface StoredRow {
  seq: number;
  id: string;
  client_msg_id: string | null;
}

export interface ClusterNode {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  /** True while its process runs and is not paused (clients choose among these). */
  readonly up: boolean;
  readonly process: Server | undefined;
  start(): Promise<void>;
  kill9(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  term(): Promise<number | string>;
  pause(): void;
  resume(): void;
}

export interface ClusterOptions {
  /**
   * First of the ten ports this cluster may use (PostgreSQL, Redis, one per node): each is the
   * first of them that can be bound now (an outgoing connection may hold one as its
   * ephemeral port, or a crashed server's connections linger in TIME_WAIT).
   */
  basePort: number;
  nodes?: number;
  env?: Record<string, string>;
}

const PASSWORD = 'Correct-Horse-Battery-Staple-1';

export async function startFaultCluster(opts: ClusterOptions): Promise<FaultCluster> {
  const count = opts.nodes ?? 3;
  const taken = new Set<number>();
  const port = async () => {
    for (let p = opts.basePort; p < opts.basePort + 10; p++) {
      if (!taken.has(p) && (await canBind(p))) {
        taken.add(p);
        return p;
      }
    }
    throw new Error(`no free port in ${opts.basePort}-${opts.basePort + 9}`);
  };
  // A port free a moment ago may be taken as the ephemeral end of someone's connection.
  const onSomePort = async <T>(start: (port: number) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start(await port());
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  };
  const pgServer = await onSomePort((p) => startPrivatePostgres({ port: p }));
  const redis = await onSomePort((p) => startPrivateRedis({ port: p }));
  const adminToken = `admin-${randomUUID()}`;
  const env = {
    HOST: '127.0.0.1',
    DATABASE_URL: pgServer.url,
    REDIS_URL: redis.url,
    JWT_SECRET: `secret-${randomUUID()}`,
    ADMIN_TOKEN: adminToken,
    // ORGHUB_FAULT_LOG_LEVEL=info (or debug) for more in the node logs while chasing a failure.
    LOG_LEVEL: process.env['ORGHUB_FAULT_LOG_LEVEL'] ?? 'warn',
    SHUTDOWN_DRAIN: '0',
    WS_RATE_LIMIT: '1000',
    ORG_MESSAGES_PER_SECOND: '100000',
    ACCESS_TOKEN_TTL: '1h',
    MAX_SOCKETS_PER_USER: '100',
    ...opts.env,
  };
  const unexpectedExits: string[] = [];
  const dirs: string[] = [];
  const nodes: ClusterNode[] = [];
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'orghub-fault-logs-'));
  const logs: WriteStream[] = [];
  for (let i = 0; i < count; i++) {
    const dir = await mkdtemp(path.join(os.tmpdir(), `orghub-node${i}-`));
    dirs.push(dir);
    const log = createWriteStream(path.join(logDir, `node${i}.log`), { flags: 'a' });
    logs.push(log);
    nodes.push(makeNode(i, await port(), { ...env, DATA_DIR: dir }, unexpectedExits, log));
  }
  const logTails = (bytes = 6000) =>
    nodes
      .map((n) => {
        const file = path.join(logDir, `node${n.index}.log`);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          text = '(no log)';
        }
        return `--- ${file} (last ${bytes} bytes) ---\n${text.slice(-bytes)}`;
      })
      .join('\n');
  const sql = new pg.Pool({ connectionString: pgServer.url, max: 2 });
  sql.on('error', () => {}); // the server is crashed on purpose; queries retry
  const destroy = async (opts: { keepLogs?: boolean } = {}) => {
    await Promise.all(nodes.map((n) => n.kill9().catch(() => {})));
    await sql.end().catch(() => {});
    await redis.stop().catch(() => {});
    await copyFile(pgServer.logFile, path.join(logDir, 'postgres.log')).catch(() => {});
    await pgServer.destroy().catch(() => {});
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    await Promise.all(logs.map((l) => new Promise((r) => l.end(r))));
    if (!opts.keepLogs) await rm(logDir, { recursive: true, force: true });
  };
  try {
    // One node first: it runs the migrations, the others find them done.
    await nodes[0]!.start();
    await Promise.all(nodes.slice(1).map((n) => n.start()));
    // Restarts reuse the port: retried while an ephemeral connection holds it.
    const pgStart = pgServer.start;
    pgServer.start = () => retried(pgStart);
    const redisStart = redis.start;
    redis.start = () => retried(redisStart);
    const base = nodes[0]!.url;
    const orgId = `faults-${randomUUID().slice(0, 8)}`;
    await call(base, 'POST', '/api/v1/orgs', adminToken, { id: orgId, name: 'Faults' });
    const login = async (name: string) => {
      const answer = (await call(base, 'POST', '/api/v1/auth/login', '', {
        org_id: orgId,
        username: name,
        password: PASSWORD,
      })) as { access_token: string };
      return answer.access_token;
    };
    return {
      pg: pgServer,
      redis,
      nodes,
      adminToken,
      sql,
      orgId,
      unexpectedExits,
      logDir,
      logTails,
      note: (line) => {
        for (const l of logs) l.write(`=== ${new Date().toISOString()} ${line}\n`);
      },
      async user(name = `u${randomUUID().slice(0, 8)}`) {
        const user = (await call(base, 'POST', '/api/v1/users', adminToken, {
          username: name,
          email: `${name}@example.test`,
          org_id: orgId,
          password: PASSWORD,
        })) as { id: string };
        return { id: user.id, name, token: await login(name) };
      },
      login,
      async group(id) {
        await call(base, 'POST', `/api/v1/orgs/${orgId}/groups`, adminToken, { id, name: id });
      },
      async stored(groupId) {
        const { rows } = await sql.query<StoredRow>(
          'select seq::int as seq, id::text as id, client_msg_id from messages where org_id = $1 and group_id = $2 order by seq',
          [orgId, groupId],
        );
        return rows;
      },
      destroy,
    };
  } catch (err) {
    process.stdout.write(`fault cluster did not start; node logs in ${logDir}\n`);
    await destroy({ keepLogs: true });
    throw err;
  }
}

function makeNode(
  index: number,
  port: number,
  env: Record<string, string>,
  unexpectedExits: string[],
  log: WriteStream,
): ClusterNode {
  let proc: Server | undefined;
  let expected = false;
  let paused = false;
  const stopWith = async (signal: NodeJS.Signals) => {
    const p = proc;
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return p?.exited;
    expected = true;
    if (paused) p.child.kill('SIGCONT');
    paused = false;
    p.child.kill(signal);
    return p.exited;
  };
  const node: ClusterNode = {
    index,
    port,
    url: `http://127.0.0.1:${port}`,
    get up() {
      return !!proc && proc.child.exitCode === null && proc.child.signalCode === null && !paused;
    },
    get process() {
      return proc;
    },
    async start() {
      await retried(async () => {
        expected = false;
        const p = runServer({ ...env, PORT: String(port) });
        proc = p;
        log.write(
          `\n=== node ${index} started (pid ${p.child.pid}) at ${new Date().toISOString()}\n`,
        );
        p.child.stdout!.on('data', (d: Buffer) => log.write(d));
        p.child.stderr!.on('data', (d: Buffer) => log.write(d));
        void p.exited.then((code) =>
          log.write(
            `=== node ${index} (pid ${p.child.pid}) exited (${code}) at ${new Date().toISOString()}\n`,
          ),
        );
        let ready = false;
        void p.exited.then((code) => {
          // One that never came up failed its start (retried, or the start rejects).
          if (ready && !expected && proc === p) {
            unexpectedExits.push(`node ${index} exited (${code}): ${p.stderr().slice(-2000)}`);
          }
        });
        await p.waitFor(/OrgHub is running/, 60_000);
        ready = true;
      });
    },
    async kill9() {
      await stopWith('SIGKILL');
    },
    async term() {
      return (await stopWith('SIGTERM')) ?? 'not running';
    },
    pause() {
      if (!proc || paused) return;
      paused = true;
      proc.child.kill('SIGSTOP');
    },
    resume() {
      if (!proc || !paused) return;
      paused = false;
      proc.child.kill('SIGCONT');
    },
  };
  return node;
}

/** One HTTP call; rejects on a non-2xx answer with its body. */
export async function call(
  base: string,
  method: string,
  route: string,
  token: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(base + route, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Up to five tries, a second apart. */
async function retried(start: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt === 5) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** True while something listens on the port (a node that stopped listening answers false). */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A Prometheus gauge or counter of one node (no labels), or undefined if it did not answer. */
export async function metric(node: ClusterNode, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until the node's `/health` answers (any status) within the deadline. */
export async function healthOf(node: ClusterNode): Promise<{ status: number; body: string }> {
  const res = await fetch(`${node.url}/api/v1/health`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

export { pollUntil };
