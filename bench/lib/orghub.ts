import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SocketSpec } from '../loadgen/protocol.js';
import { spawnNode, type ManagedProc } from './procs.js';

export const ORG = 'bench';
const PASSWORD = 'bench-password-1';
// BENCH_DIST=<dir> runs another build of OrgHub (an earlier commit's `dist/`, say): a change
// and its parent measured alternately in one session, on the same noisy machine.
const DIST_DIR = process.env.BENCH_DIST;
const DIST_MAIN = path.resolve(DIST_DIR ?? 'dist', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Says why `dist/` cannot be benchmarked as is, or warns that it is older than `src/`. */
export function distProblem(): string | undefined {
  if (!existsSync(DIST_MAIN)) return `${DIST_MAIN} is missing: run \`npm run build\` first`;
  return undefined;
}

export function distOlderThanSrc(): boolean {
  if (DIST_DIR) return false; // another build on purpose: this tree's src says nothing of it
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  return newest(path.resolve('src')) > statSync(DIST_MAIN).mtimeMs;
}

export interface NodeOptions {
  databaseUrl?: string;
  redisUrl?: string;
  /** More environment for the node (a setting a scenario compares, such as SHUTDOWN_DRAIN). */
  env?: Record<string, string>;
  core: number | undefined;
}

interface Tokens {
  subscribers: string[];
  senders: string[];
}

/**
 * One OrgHub deployment for the bench: a data directory, a fixed port (so that clients can
 * reconnect to the same address after a restart), the operator token and the org, users and
 * tokens created once through the public REST API.
 */
export class OrgHubFixture {
  readonly adminToken = randomBytes(24).toString('hex');
  readonly jwtSecret = randomBytes(32).toString('hex');
  private readonly dataDirs: string[] = [];
  private tokens: Tokens | undefined;
  private readonly groups = new Set<string>();
  nodes: Array<{ proc: ManagedProc; port: number }> = [];

  constructor(
    readonly label: string,
    private readonly opts: Omit<NodeOptions, 'core'>,
  ) {}

  private env(port: number, dataDir: string): Record<string, string> {
    return {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_TOKEN: this.adminToken,
      JWT_SECRET: this.jwtSecret,
      LOG_LEVEL: 'warn',
      WS_RATE_LIMIT: '100000',
      MAX_SOCKETS_PER_USER: '10000',
      ACCESS_TOKEN_TTL: '3h',
      ...(this.opts.databaseUrl && { DATABASE_URL: this.opts.databaseUrl }),
      ...(this.opts.redisUrl && { REDIS_URL: this.opts.redisUrl }),
      ...this.opts.env,
    };
  }

  /** Starts node `i` (reusing its port and data directory after a restart). */
  async start(i: number, core: number | undefined, extraArgs: string[] = []): Promise<void> {
    const existing = this.nodes[i];
    const port = existing?.port ?? (await freePort());
    const dataDir = (this.dataDirs[i] ??= mkdtempSync(path.join(tmpdir(), 'orghub-bench-')));
    // BENCH_CPU_PROF=<dir>: every OrgHub node writes a V8 CPU profile there when it stops.
    const prof = process.env.BENCH_CPU_PROF;
    const profArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`] : [];
    const proc = spawnNode({
      name: `orghub-${this.label}-${i}`,
      core,
      args: [...profArgs, ...extraArgs, DIST_MAIN],
      env: this.env(port, dataDir),
    });
    this.nodes[i] = { proc, port };
    await proc.waitForLine(/OrgHub is running/, 120_000);
  }

  async stop(i: number): Promise<void> {
    await this.nodes[i]?.proc.stop(30_000);
  }

  base(i = 0): string {
    return `http://127.0.0.1:${this.nodes[i]!.port}`;
  }

  pid(i = 0): number {
    return this.nodes[i]!.proc.pid;
  }

  async api<T>(method: string, route: string, body?: unknown, token = this.adminToken) {
    const res = await fetch(`${this.base()}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok && res.status !== 409) {
      throw new Error(`${method} ${route}: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Creates the org and users once (each password costs a scrypt hash: keep users few). */
  async setup(subscriberUsers: number, senderUsers: number): Promise<Tokens> {
    if (this.tokens) return this.tokens;
    await this.api('POST', '/api/v1/orgs', { id: ORG, name: 'Bench' });
    const login = async (username: string) => {
      await this.api('POST', '/api/v1/users', {
        username,
        email: `${username}@bench.example`,
        org_id: ORG,
        password: PASSWORD,
        role: 'member',
      });
      const r = await this.api<{ access_token: string }>('POST', '/api/v1/auth/login', {
        org_id: ORG,
        username,
        password: PASSWORD,
      });
      return r.access_token;
    };
    const subscribers: string[] = [];
    const senders: string[] = [];
    for (let i = 0; i < subscriberUsers; i++) subscribers.push(await login(`sub${i}`));
    for (let i = 0; i < senderUsers; i++) senders.push(await login(`send${i}`));
    this.tokens = { subscribers, senders };
    return this.tokens;
  }

  async group(id: string): Promise<void> {
    if (this.groups.has(id)) return;
    await this.api('POST', `/api/v1/orgs/${ORG}/groups`, { id, name: id });
    this.groups.add(id);
  }

  /** Socket specs for `n` subscribers then `s` senders in `groupId`, spread over the users. */
  specs(
    groupId: string,
    groupIndex: number,
    n: number,
    s: number,
    opts: { node?: number; firstSender?: number } = {},
  ): SocketSpec[] {
    const node = opts.node ?? 0;
    const first = opts.firstSender ?? 0;
    const t = this.tokens;
    if (!t) throw new Error('OrgHub fixture: setup() first');
    const url = (token: string, label: string) =>
      `ws://127.0.0.1:${this.nodes[node]!.port}/ws/orgs/${ORG}/groups/${groupId}?clientId=${label}&access_token=${token}`;
    const out: SocketSpec[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        url: url(t.subscribers[i % t.subscribers.length]!, `s${i}`),
        group: groupIndex,
        sender: false,
      });
    }
    for (let i = 0; i < s; i++) {
      const k = first + i;
      out.push({
        url: url(t.senders[k % t.senders.length]!, `p${k}`),
        group: groupIndex,
        sender: true,
      });
    }
    return out;
  }

  async close(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) await this.stop(i);
    for (const d of this.dataDirs) rmSync(d, { recursive: true, force: true });
  }
}
