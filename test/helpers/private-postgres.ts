import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian keeps PostgreSQL 15's server binaries (initdb, pg_ctl, postgres). */
export const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/**
 * A throw-away PostgreSQL server owned by one test file: its own data directory (initdb into a
 * temporary directory) and a free port. Tests crash it (`stop -m immediate`), restart it and
 * pause it (SIGSTOP) without touching the shared server on 5432.
 */
export interface PrivatePostgres {
  port: number;
  /** The `postgres` database of this server. */
  url: string;
  /** The server's log file (removed with its data by `destroy()`). */
  logFile: string;
  /** `pg_ctl stop -m immediate`: every backend dies at once, as in a crash. */
  crash(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGSTOP to the postmaster and every backend: connections stay open, nothing answers. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Stops it (if running) and removes its data. */
  destroy(): Promise<void>;
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

/** initdb refuses to run as root: as root the server runs as the `postgres` user. */
const asRoot = process.getuid?.() === 0;

async function pgTool(tool: string, args: string[]): Promise<string> {
  const bin = path.join(PG_BIN, tool);
  const { stdout } = asRoot
    ? await run('su', ['postgres', '-c', [bin, ...args].map(shellQuote).join(' ')])
    : await run(bin, args);
  return stdout;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The postmaster and its children (backends, checkpointer, …), read from /proc. */
async function processesOf(postmaster: number): Promise<number[]> {
  const pids = [postmaster];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which is in parentheses and may hold spaces): state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === postmaster) pids.push(Number(entry));
  }
  return pids;
}

/** `port`: a fixed port (a suite's own range); a free one when absent. */
export async function startPrivatePostgres(opts: { port?: number } = {}): Promise<PrivatePostgres> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'orghub-pg-'));
  if (asRoot) await chown(root, ...(await postgresIds()));
  const data = path.join(root, 'data');
  await pgTool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const port = opts.port ?? (await freePort());
  // fsync off: the faults here kill PostgreSQL, never the machine, so the OS keeps every
  // write; synchronous_commit stays on, so a commit still means the WAL reached the OS.
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async () => {
    await pgTool('pg_ctl', [
      '-D',
      data,
      '-o',
      options,
      '-l',
      path.join(root, 'log'),
      '-w',
      'start',
    ]);
  };
  const postmaster = async () => {
    const pidFile = path.join(data, 'postmaster.pid');
    if (!existsSync(pidFile)) throw new Error('private PostgreSQL is not running');
    return Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  };
  const signal = async (sig: NodeJS.Signals) => {
    for (const pid of await processesOf(await postmaster())) {
      try {
        process.kill(pid, sig);
      } catch {
        // A backend that ended meanwhile.
      }
    }
  };
  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    logFile: path.join(root, 'log'),
    crash: async () => {
      await pgTool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async destroy() {
      if (existsSync(path.join(data, 'postmaster.pid'))) {
        await signal('SIGCONT').catch(() => {});
        await pgTool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return [Number(uid), Number(gid)];
}

/** Why the fault tests cannot run here, or undefined when they can. */
export function missingFaultTools(): string | undefined {
  if (!existsSync(path.join(PG_BIN, 'initdb'))) return `no PostgreSQL binaries in ${PG_BIN}`;
  const onPath = (bin: string) =>
    (process.env['PATH'] ?? '').split(':').some((d) => d && existsSync(path.join(d, bin)));
  if (!onPath('redis-server')) return 'no redis-server on PATH';
  return undefined;
}
