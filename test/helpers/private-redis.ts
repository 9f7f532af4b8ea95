import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A throw-away redis-server owned by one test file, on a free port, keeping nothing on disk:
 * tests kill -9 and restart it without touching the shared Redis on 6379.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  /** kill -9; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty, as after a crash); resolves once it accepts. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers (a hung Redis). */
  pause(): void;
  /** SIGCONT: it answers what queued meanwhile, in order. */
  resume(): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A cluster node also listens on port + 10000 (its bus): both must be free and valid. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await canBind(port)) && (await canBind(port + 10_000))) return port;
  }
}

function launch(port: number, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
}

/** `port`: a fixed port (a suite's own range); a free one when absent. */
export async function startPrivateRedis(opts: { port?: number } = {}): Promise<PrivateRedis> {
  const port = opts.port ?? (await freePort());
  let child: ChildProcess | undefined = await launch(port);
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async start() {
      child = await launch(port);
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: kill,
  };
}

export interface PrivateCluster {
  /** One seed node. */
  url: string;
  /** The masters' client ports. */
  ports: number[];
  /** The redis-server processes, one per master. */
  pids: number[];
  stop(): Promise<void>;
}

/**
 * A throw-away Redis Cluster of three masters (no replicas), its node files in a temporary
 * directory. `url` names one seed node. By default on free ports, each bus on port + 10000;
 * `fixed` gives the client ports and bus ports instead (the bench keeps to an assigned range).
 */
export async function startPrivateCluster(fixed?: {
  ports: number[];
  busPorts: number[];
}): Promise<PrivateCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orghub-cluster-'));
  const ports: number[] = fixed ? [...fixed.ports] : [];
  while (ports.length < 3) {
    const port = await freeClusterPort();
    if (!ports.includes(port)) ports.push(port);
  }
  const children = await Promise.all(
    ports.map((port, i) =>
      launch(port, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
        ...(fixed ? ['--cluster-port', String(fixed.busPorts[i])] : []),
      ]),
    ),
  );
  const stop = async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null) return;
        const exited = new Promise((resolve) => c.once('exit', resolve));
        c.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  const create = spawn(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  create.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise((resolve) => create.once('exit', resolve));
  if (code !== 0 || !out.includes('All 16384 slots covered')) {
    await stop();
    throw new Error(`redis-cli --cluster create failed: ${out}`);
  }
  // Slots are assigned; every node must also agree that the cluster is up before clients come.
  const deadline = Date.now() + 20_000;
  for (const port of ports) {
    while (!(await clusterInfo(port)).includes('cluster_state:ok')) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`cluster node ${port} never reached cluster_state:ok`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url: `redis://127.0.0.1:${ports[0]}`,
    ports,
    pids: children.map((c) => c.pid ?? 0),
    stop,
  };
}

function clusterInfo(port: number): Promise<string> {
  return new Promise((resolve) => {
    const cli = spawn('redis-cli', ['-p', String(port), 'cluster', 'info'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    cli.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    cli.once('exit', () => resolve(out));
  });
}
