import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Child processes of a bench run: spawned pinned to a core when `taskset` exists, tracked by
 * PID, and killed by PID when the run ends, fails or is interrupted, so nothing outlives it.
 */
const live = new Set<ChildProcess>();

export const tasksetAvailable =
  spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return n > 0 ? n : 100;
})();

export interface ManagedProc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `re`; rejects on exit or timeout. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Last few KiB of stderr, for error messages. */
  stderrTail(): string;
}

export interface SpawnOptions {
  name: string;
  /** The core to pin to (ignored without taskset). */
  core: number | undefined;
  args: string[];
  env?: Record<string, string>;
  ipc?: boolean;
}

/** Runs `node <args>` (TypeScript files through tsx's loader, in the same process). */
export function spawnNode(opts: SpawnOptions): ManagedProc {
  const nodeArgs = [...opts.args];
  if (nodeArgs.some((a) => a.endsWith('.ts'))) nodeArgs.unshift('--import', 'tsx');
  const [cmd, args] =
    opts.core !== undefined && tasksetAvailable
      ? ['taskset', ['-c', String(opts.core), process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
  const child = spawn(cmd as string, args as string[], {
    env: { ...process.env, ...opts.env },
    stdio: opts.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${opts.name}: could not start`);
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4096);
  });
  let stdoutBuf = '';
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  child.stdout?.on('data', (d: Buffer) => {
    stdoutBuf = (stdoutBuf + d.toString()).slice(-65536);
    const lines = stdoutBuf.split('\n');
    stdoutBuf = lines.pop() ?? '';
    for (const line of lines) {
      for (const w of [...waiters]) {
        const m = line.match(w.re);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const pid = child.pid;
  return {
    name: opts.name,
    child,
    pid,
    exited,
    stderrTail: () => stderr,
    waitForLine(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${opts.name}: not ready after ${timeoutMs} ms. ${stderr.trim()}`));
        }, timeoutMs);
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${opts.name} exited (code ${code}): ${stderr.trim()}`));
        });
      });
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills every child still running, by PID. Safe to call from an `exit` handler. */
export function killAll(): void {
  for (const c of live) {
    if (c.pid !== undefined) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

export function installExitHandlers(): void {
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping children\n`);
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    killAll();
    process.exit(1);
  });
}

/** User + system CPU time of a process so far, in microseconds, from /proc/<pid>/stat. */
export function cpuTimeUs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 1e6 / CLK_TCK;
  return { user: Number(fields[11]) * tick, system: Number(fields[12]) * tick };
}

/** Resident set size in KiB, from /proc/<pid>/status. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) : NaN;
}
