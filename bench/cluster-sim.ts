import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { hashPassword } from '../src/modules/auth/passwords.js';
import { createTokenService } from '../src/modules/auth/tokens.js';
import { startPrivateCluster, type PrivateCluster } from '../test/helpers/private-redis.js';
import {
  BUCKET_MS,
  type ConnectReply,
  type RunReply,
  type SimCommand,
  type SimReply,
  type SimSocket,
  type StatusReply,
} from './cluster/protocol.js';
import { createBenchDatabase, dropBenchDatabase } from './lib/postgres.js';
import { cpuTimeUs, killAll, rssKiB, spawnNode, type ManagedProc } from './lib/procs.js';

/**
 * `npm run bench:cluster`: the capacity model of docs/capacity.md, shrunk to one machine.
 * Three OrgHub processes (`dist/main.js`) on one PostgreSQL database (the shared
 * 127.0.0.1:5432, a database of its own) and a private 3-master Redis Cluster (sharded
 * pub/sub), 10,000 sockets per node over many orgs and groups, a bounded message load; it
 * measures connect time, memory, deliveries/s, delivery latency, Redis commands per master and
 * CPU. Ports 56700-56899 only; every process it starts is killed by PID when it ends, fails,
 * is interrupted or passes its deadline.
 *
 * Options (environment): SIM_SOCKETS_PER_NODE (10000), SIM_DURATION (60, seconds of load),
 * SIM_RATE (1 message/s per sender), SIM_DEADLINE (600, seconds for the whole run).
 */
const NODES = 3;
const PER_NODE = Number(process.env.SIM_SOCKETS_PER_NODE ?? 10_000);
const GROUP_SIZE = 25; // online members of a group (the model's average)
const GROUPS_PER_ORG = 20;
const USERS_PER_ORG = 50; // each user holds one socket in 10 of the org's 20 groups
const SENDING_EVERY = 5; // one group in five has a sender
const DURATION_MS = Number(process.env.SIM_DURATION ?? 60) * 1000;
const RATE = Number(process.env.SIM_RATE ?? 1);
const IDLE_MS = 20_000;
const DEADLINE_MS = Number(process.env.SIM_DEADLINE ?? 600) * 1000;

const REDIS_PORTS = [56701, 56702, 56703];
const REDIS_BUS_PORTS = [56711, 56712, 56713];
const NODE_PORTS = [56721, 56722, 56723];

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST_MAIN = path.join(ROOT, 'dist/main.js');
const WORKER = fileURLToPath(new URL('./cluster/worker.ts', import.meta.url));

const log = (s: string) =>
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Payload<C> = C extends { cmd: string } ? Omit<C, 'id'> : never;

/** A client worker's handle: one command in flight at a time is enough here. */
class Worker {
  private nextId = 1;
  private readonly pending = new Map<number, (r: SimReply) => void>();
  constructor(readonly proc: ManagedProc) {
    proc.child.on('message', (r: SimReply) => {
      this.pending.get(r.id)?.(r);
      this.pending.delete(r.id);
    });
    void proc.exited.then(() => {
      for (const [id, done] of this.pending)
        done({ id, ok: false, error: `worker exited: ${proc.stderrTail()}` });
    });
  }
  call<T>(cmd: Payload<SimCommand>, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker: no answer to ${cmd.cmd}`)),
        timeoutMs,
      );
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        if (r.ok) resolve(r.result as T);
        else reject(new Error(r.error));
      });
      this.proc.child.send({ ...cmd, id } as SimCommand);
    });
  }
}

interface RedisSample {
  calls: Record<string, number>;
  total: number;
  cpuSec: number;
}

async function redisSample(client: Redis): Promise<RedisSample> {
  const stats = await client.info('commandstats');
  const calls: Record<string, number> = {};
  let total = 0;
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[m[1]!] = Number(m[2]);
    total += Number(m[2]);
  }
  const cpu = await client.info('cpu');
  const num = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { calls, total, cpuSec: num('used_cpu_sys') + num('used_cpu_user') };
}

function redisRates(a: RedisSample, b: RedisSample, ms: number) {
  const s = ms / 1000;
  const top = Object.keys(b.calls)
    .map((k) => [k, ((b.calls[k] ?? 0) - (a.calls[k] ?? 0)) / s] as const)
    .filter(([, r]) => r > 0)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 5)
    .map(([k, r]) => `${k} ${Math.round(r)}`);
  return { opsPerSec: (b.total - a.total) / s, cpuPct: ((b.cpuSec - a.cpuSec) / s) * 100, top };
}

/** Messages stored by a node and the seconds they took (orghub_message_store_seconds). */
async function storeTimes(port: number): Promise<{ count: number; sum: number }> {
  return {
    count: await metric(port, 'orghub_message_store_seconds_count'),
    sum: await metric(port, 'orghub_message_store_seconds_sum'),
  };
}

async function metric(port: number, name: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} ([\\d.e+]+)$`, 'm').exec(body);
  return m ? Number(m[1]) : NaN;
}

const cpuUs = (pid: number) => {
  const t = cpuTimeUs(pid);
  return t.user + t.system;
};

function quantile(buckets: Map<number, number>, q: number): number {
  const total = [...buckets.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const [b, n] of [...buckets.entries()].sort((x, y) => x[0] - y[0])) {
    seen += n;
    if (seen >= rank) return (b + 1) * BUCKET_MS;
  }
  return 0;
}

async function whyNot(): Promise<string | undefined> {
  if (!existsSync(DIST_MAIN)) return `${DIST_MAIN} is missing: run \`npm run build\` first`;
  const onPath = (bin: string) =>
    (process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, bin)));
  if (!onPath('redis-server') || !onPath('redis-cli'))
    return 'needs redis-server and redis-cli on PATH';
  return undefined;
}

async function main() {
  const reason = await whyNot();
  if (reason) {
    process.stdout.write(`bench:cluster: cannot run: ${reason}\n`);
    process.exit(1);
  }
  const orgs = Math.ceil((PER_NODE * NODES) / (GROUPS_PER_ORG * GROUP_SIZE));
  const groupsTotal = orgs * GROUPS_PER_ORG;
  const socketsTotal = groupsTotal * GROUP_SIZE;
  log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load avg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  log(
    `plan: ${NODES} nodes, ${socketsTotal} sockets (${orgs} orgs × ${GROUPS_PER_ORG} groups × ${GROUP_SIZE}), ${orgs * USERS_PER_ORG} users, ${Math.ceil(groupsTotal / SENDING_EVERY)} senders at ${RATE}/s for ${DURATION_MS / 1000} s`,
  );

  let cluster: PrivateCluster | undefined;
  let dbUrl: string | undefined;
  const nodes: ManagedProc[] = [];
  const workers: Worker[] = [];
  const redis: Redis[] = [];
  const dataDirs: string[] = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const w of workers) await w.proc.stop(5_000);
    for (const n of nodes) await n.stop(30_000);
    for (const r of redis) r.disconnect();
    await cluster?.stop();
    if (dbUrl)
      await dropBenchDatabase(dbUrl).catch((e: Error) => log(`drop database: ${e.message}`));
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  };
  const emergency = (why: string) => {
    log(`${why}: stopping everything it started`);
    killAll();
    for (const pid of cluster?.pids ?? []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      emergency(sig);
      process.exit(130);
    });
  }
  const deadline = setTimeout(() => {
    emergency(`deadline of ${DEADLINE_MS / 1000} s passed`);
    void cleanup().finally(() => process.exit(2));
  }, DEADLINE_MS);
  deadline.unref();

  try {
    log('starting a 3-master Redis Cluster on 127.0.0.1:56701-56703');
    cluster = await startPrivateCluster({ ports: REDIS_PORTS, busPorts: REDIS_BUS_PORTS });
    for (const p of cluster.ports)
      redis.push(new Redis({ port: p, host: '127.0.0.1', lazyConnect: false }));

    const db = await createBenchDatabase();
    if ('reason' in db) throw new Error(db.reason);
    dbUrl = db.url;

    const adminToken = randomBytes(24).toString('hex');
    const jwtSecret = randomBytes(32).toString('hex');
    const redisUrl = `${cluster.url}?cluster=true`;
    const startNode = (i: number) => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orghub-sim-'));
      dataDirs.push(dataDir);
      const proc = spawnNode({
        name: `orghub-${i}`,
        core: undefined,
        args: [DIST_MAIN],
        env: {
          PORT: String(NODE_PORTS[i]),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          DATABASE_URL: db.url,
          REDIS_URL: redisUrl,
          ADMIN_TOKEN: adminToken,
          JWT_SECRET: jwtSecret,
          LOG_LEVEL: 'warn',
          LOG_FORMAT: 'json',
          MAX_SOCKETS_PER_USER: '1000',
          ACCESS_TOKEN_TTL: '3h',
        },
      });
      nodes[i] = proc;
      return proc.waitForLine(/OrgHub is running/, 120_000);
    };
    log('starting 3 OrgHub nodes on 127.0.0.1:56721-56723');
    await startNode(0); // the first migrates; the others find nothing to do
    await Promise.all([startNode(1), startNode(2)]);

    // Orgs and groups through the operator API; users straight into the database (one
    // password hash for all: the sockets authenticate with tokens signed here, like a login's).
    const api = async (method: string, route: string, body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${NODE_PORTS[0]}${route}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    };
    log(`creating ${orgs} orgs, ${groupsTotal} groups, ${orgs * USERS_PER_ORG} users`);
    const orgIds = Array.from({ length: orgs }, (_, o) => `sim-${o}`);
    for (const id of orgIds) await api('POST', '/api/v1/orgs', { id, name: id });
    const jobs = orgIds.flatMap((org) =>
      Array.from(
        { length: GROUPS_PER_ORG },
        (_, g) => () => api('POST', `/api/v1/orgs/${org}/groups`, { id: `g${g}`, name: `g${g}` }),
      ),
    );
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let j = jobs.shift(); j; j = jobs.shift()) await j();
      }),
    );
    const hash = await hashPassword('sim-password-1');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const userIds = new Map<string, string[]>();
    for (const org of orgIds) {
      const names = Array.from({ length: USERS_PER_ORG }, (_, u) => `u${u}`);
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO users (org_id, username, email, password_hash, role)
         SELECT $1, n, n || '@sim.example', $2, 'member' FROM unnest($3::text[]) WITH ORDINALITY AS t(n, i)
         ORDER BY i RETURNING id`,
        [org, hash, names],
      );
      userIds.set(
        org,
        rows.map((r) => r.id),
      );
    }
    await client.end();
    const tokens = createTokenService({ jwtSecret, adminToken, accessTtlSec: 3 * 3600 });
    const tokenOf = new Map<string, string>();
    for (const [org, ids] of userIds) {
      for (const id of ids)
        tokenOf.set(id, (await tokens.issueAccess({ id, orgId: org, role: 'member' })).token);
    }

    // Sockets: group by group, members round robin over the nodes (as a balancer spreads them).
    const perNode: SimSocket[][] = [[], [], []];
    const groupSize: number[] = [];
    let k = 0;
    for (const [o, org] of orgIds.entries()) {
      const ids = userIds.get(org)!;
      for (let g = 0; g < GROUPS_PER_ORG; g++) {
        const group = o * GROUPS_PER_ORG + g;
        groupSize[group] = GROUP_SIZE;
        for (let m = 0; m < GROUP_SIZE; m++) {
          const user = ids[(g * GROUP_SIZE + m) % USERS_PER_ORG]!;
          const node = k++ % NODES;
          perNode[node]!.push({
            url: `ws://127.0.0.1:${NODE_PORTS[node]}/ws/orgs/${org}/groups/g${g}?clientId=c${k}&access_token=${tokenOf.get(user)}`,
            group,
            sender: m === 0 && group % SENDING_EVERY === 0,
          });
        }
      }
    }

    for (let i = 0; i < NODES; i++) {
      workers.push(
        new Worker(spawnNode({ name: `clients-${i}`, core: undefined, args: [WORKER], ipc: true })),
      );
    }
    const pids = nodes.map((n) => n.pid);
    const rssBefore = pids.map(rssKiB);
    log(
      `nodes before sockets: RSS ${rssBefore.map((r) => `${(r / 1024).toFixed(0)} MiB`).join(', ')}`,
    );

    log(`connecting ${socketsTotal} sockets (100 handshakes in flight per node)`);
    const wpids = workers.map((w) => w.proc.pid);
    const connectCpu0 = pids.map(cpuUs);
    const connectWCpu0 = wpids.map(cpuUs);
    const connectStarted = performance.now();
    const connected = await Promise.all(
      workers.map((w, i) =>
        w.call<ConnectReply>(
          { cmd: 'connect', sockets: perNode[i]!, concurrency: 100, timeoutMs: 60_000 },
          DEADLINE_MS,
        ),
      ),
    );
    const connectMs = performance.now() - connectStarted;
    const connectCpu1 = pids.map(cpuUs);
    const connectWCpu1 = wpids.map(cpuUs);
    for (const [i, c] of connected.entries()) {
      log(
        `  node ${i}: ${c.connected} open, ${c.failed} failed in ${(c.ms / 1000).toFixed(1)} s${c.firstError ? ` (${c.firstError})` : ''}`,
      );
    }
    const open = connected.reduce((a, c) => a + c.connected, 0);
    if (open < socketsTotal * 0.99)
      throw new Error(`only ${open} of ${socketsTotal} sockets connected`);
    // Wait until every node counts its sockets (upgrades finished server-side).
    for (const [i, port] of NODE_PORTS.entries()) {
      const until = Date.now() + 60_000;
      while (
        (await metric(port, 'orghub_ws_connections')) < connected[i]!.connected &&
        Date.now() < until
      )
        await sleep(200);
    }
    await sleep(2_000);
    const rssAfter = pids.map(rssKiB);

    // Idle: what presence, the socket cap and pings cost with no message traffic.
    log(`idle for ${IDLE_MS / 1000} s`);
    const idleRedis0 = await Promise.all(redis.map(redisSample));
    const idleCpu0 = pids.map(cpuUs);
    await sleep(IDLE_MS);
    const idleRedis1 = await Promise.all(redis.map(redisSample));
    const idleCpu1 = pids.map(cpuUs);

    log(`load: ${RATE} msg/s per sender for ${DURATION_MS / 1000} s`);
    const deliv0 = await Promise.all(NODE_PORTS.map((p) => metric(p, 'orghub_deliveries_total')));
    const loadRedis0 = await Promise.all(redis.map(redisSample));
    const loadCpu0 = pids.map(cpuUs);
    const loadWCpu0 = wpids.map(cpuUs);
    const store0 = await Promise.all(NODE_PORTS.map((p) => storeTimes(p)));
    const t0 = performance.now();
    const runP = workers.map((w) =>
      w.call<RunReply>(
        { cmd: 'run', runId: 1, ratePerSender: RATE, durationMs: DURATION_MS, drainMs: 0 },
        DURATION_MS + 60_000,
      ),
    );
    const runs = await Promise.all(runP);
    const loadMs = performance.now() - t0;
    const loadRedis1 = await Promise.all(redis.map(redisSample));
    const loadCpu1 = pids.map(cpuUs);
    const loadWCpu1 = wpids.map(cpuUs);
    const store1 = await Promise.all(NODE_PORTS.map((p) => storeTimes(p)));
    // Stragglers: give deliveries in flight a few seconds before counting what was lost.
    const drained = await Promise.all(
      workers.map((w) =>
        w.call<RunReply>(
          { cmd: 'run', runId: 1, ratePerSender: RATE, durationMs: 0, drainMs: 5_000 },
          30_000,
        ),
      ),
    );
    const deliv1 = await Promise.all(NODE_PORTS.map((p) => metric(p, 'orghub_deliveries_total')));
    const rssLoad = pids.map(rssKiB);
    const status = await Promise.all(
      workers.map((w) => w.call<StatusReply>({ cmd: 'status' }, 30_000)),
    );

    const hist = new Map<number, number>();
    let received = 0;
    let sent = 0;
    let expected = 0;
    let closed = 0;
    const errors: Record<string, number> = {};
    for (const r of runs) {
      received += r.received;
      closed += r.closed;
      for (const [b, n] of r.buckets) hist.set(b, (hist.get(b) ?? 0) + n);
      for (const [g, n] of Object.entries(r.sentByGroup)) {
        sent += n;
        expected += n * groupSize[Number(g)]!;
      }
      for (const [c, n] of Object.entries(r.errors)) errors[c] = (errors[c] ?? 0) + n;
    }
    const late = drained.reduce((a, r) => a + r.received, 0);
    for (const r of drained) for (const [b, n] of r.buckets) hist.set(b, (hist.get(b) ?? 0) + n);
    const mib = (k: number) => k / 1024;

    const lines: string[] = [];
    const out = (s: string) => {
      lines.push(s);
      log(s);
    };
    out('== results');
    out(
      `sockets: ${open} of ${socketsTotal} connected in ${(connectMs / 1000).toFixed(1)} s (${Math.round(open / (connectMs / 1000))} upgrades/s over 3 nodes)`,
    );
    for (let i = 0; i < NODES; i++) {
      out(
        `node ${i}: RSS ${mib(rssBefore[i]!).toFixed(0)} MiB before, ${mib(rssAfter[i]!).toFixed(0)} MiB with ${connected[i]!.connected} sockets (${((rssAfter[i]! - rssBefore[i]!) / connected[i]!.connected).toFixed(1)} KiB/socket), ${mib(rssLoad[i]!).toFixed(0)} MiB after load; CPU while connecting ${((connectCpu1[i]! - connectCpu0[i]!) / 10 / connectMs).toFixed(1)} %, idle ${((idleCpu1[i]! - idleCpu0[i]!) / 10 / IDLE_MS).toFixed(1)} %, under load ${((loadCpu1[i]! - loadCpu0[i]!) / 10 / loadMs).toFixed(1)} % of a core; ${Math.round((deliv1[i]! - deliv0[i]!) / (loadMs / 1000))} frames/s written; ${store1[i]!.count - store0[i]!.count} messages stored, ${(((store1[i]!.sum - store0[i]!.sum) / Math.max(1, store1[i]!.count - store0[i]!.count)) * 1000).toFixed(1)} ms each on average; its client worker used ${((connectWCpu1[i]! - connectWCpu0[i]!) / 10 / connectMs).toFixed(1)} % of a core connecting, ${((loadWCpu1[i]! - loadWCpu0[i]!) / 10 / loadMs).toFixed(1)} % under load`,
      );
    }
    out(
      `messages: ${sent} sent (${(sent / (loadMs / 1000)).toFixed(0)}/s), ${received} of ${expected} deliveries in the window + ${late} late (${(received / (loadMs / 1000)).toFixed(0)} deliveries/s), lost ${Math.max(0, expected - received - late)}; closed during load ${closed}; error frames ${JSON.stringify(errors)}; open after ${status.reduce((a, s) => a + s.open, 0)}`,
    );
    out(
      `delivery latency: p50 ${quantile(hist, 0.5).toFixed(1)} ms, p99 ${quantile(hist, 0.99).toFixed(1)} ms, max bucket ${quantile(hist, 1).toFixed(1)} ms`,
    );
    for (let i = 0; i < redis.length; i++) {
      const idle = redisRates(idleRedis0[i]!, idleRedis1[i]!, IDLE_MS);
      const load = redisRates(loadRedis0[i]!, loadRedis1[i]!, loadMs);
      out(
        `redis master ${cluster.ports[i]}: idle ${Math.round(idle.opsPerSec)} cmds/s (${idle.cpuPct.toFixed(1)} % CPU; ${idle.top.join(', ')}); load ${Math.round(load.opsPerSec)} cmds/s (${load.cpuPct.toFixed(1)} % CPU; ${load.top.join(', ')})`,
      );
    }
    out(
      `load avg at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    await Promise.all(workers.map((w) => w.call({ cmd: 'close' }, 30_000)));
  } finally {
    clearTimeout(deadline);
    log('stopping');
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:cluster: ${err.stack ?? err.message}\n`);
    killAll();
    process.exit(1);
  },
);
