import { fileURLToPath } from 'node:url';
import type { SocketSpec, Wire } from '../loadgen/protocol.js';
import type { LoadGen } from './loadgen-client.js';
import { OrgHubFixture } from './orghub.js';
import { spawnNode, type ManagedProc } from './procs.js';
import type { Row, System } from './table.js';

export const SERVER_CORE = 0;

/** What every scenario gets: the sizes to use, the generator, shared servers, the results. */
export class Ctx {
  readonly rows: Row[] = [];
  private runCounter = 0;
  private pglite: OrgHubFixture | undefined;
  private readonly t0 = Date.now();

  constructor(
    readonly quick: boolean,
    readonly gen: LoadGen,
  ) {}

  nextRunId(): number {
    return ++this.runCounter;
  }

  log(msg: string): void {
    const s = ((Date.now() - this.t0) / 1000).toFixed(0).padStart(4);
    process.stdout.write(`[${s}s] ${msg}\n`);
  }

  add(row: Row): void {
    this.rows.push(row);
  }

  /** The embedded-database (PGlite) OrgHub, started and set up once per run. */
  async orghub(): Promise<OrgHubFixture> {
    if (!this.pglite) {
      this.log('OrgHub (PGlite): starting and creating the org and users');
      const f = new OrgHubFixture('pglite', {});
      this.pglite = f;
      await f.start(0, SERVER_CORE);
      // Each account costs two scrypt hashes (create, login): quick runs make do with one each.
      await f.setup(this.quick ? 1 : 2, this.quick ? 1 : 3);
    }
    return this.pglite;
  }

  async close(): Promise<void> {
    await this.pglite?.close();
    this.pglite = undefined;
  }
}

/** A server under test, seen the same way for all three systems. */
export interface Target {
  readonly system: System;
  readonly wire: Wire;
  pid(): number;
  /** A fresh group (room) with `n` subscribers then `s` senders. */
  prepare(n: number, s: number): Promise<SocketSpec[]>;
  /** A fresh process (same data for OrgHub), for measurements that need a clean heap. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const SERVERS = {
  ws: fileURLToPath(new URL('../servers/ws-relay.ts', import.meta.url)),
  sio: fileURLToPath(new URL('../servers/socketio-room.ts', import.meta.url)),
};

async function startBaselineProc(kind: 'ws' | 'sio'): Promise<{ proc: ManagedProc; port: number }> {
  const proc = spawnNode({ name: `${kind}-server`, core: SERVER_CORE, args: [SERVERS[kind]] });
  const m = await proc.waitForLine(/^READY (\d+)/, 30_000);
  return { proc, port: Number(m[1]) };
}

/**
 * Whether the scenarios also run the bare ws relay and Socket.IO (`BENCH_BASELINES=0` skips
 * them: an A/B run of two OrgHub builds, bench/ab.ts, compares OrgHub with itself).
 */
export const baselinesWanted = (): boolean => process.env.BENCH_BASELINES !== '0';

export async function startBaseline(kind: 'ws' | 'sio'): Promise<Target> {
  let cur = await startBaselineProc(kind);
  let rooms = 0;
  return {
    system: kind,
    wire: kind,
    pid: () => cur.proc.pid,
    async prepare(n, s) {
      const room = `r${++rooms}`;
      const url =
        kind === 'ws'
          ? `ws://127.0.0.1:${cur.port}/${room}`
          : `http://127.0.0.1:${cur.port}/?room=${room}`;
      return Array.from({ length: n + s }, (_, i) => ({ url, group: 0, sender: i >= n }));
    },
    async restart() {
      await cur.proc.stop(5_000);
      cur = await startBaselineProc(kind);
    },
    stop: () => cur.proc.stop(5_000),
  };
}

export async function orghubTarget(ctx: Ctx, prefix: string): Promise<Target> {
  // The fixture is shared by later scenarios; Ctx.close() stops it.
  return fixtureTarget(await ctx.orghub(), prefix, async () => {});
}

/** OrgHub on a fixture of one node (node 0) as a measured target. */
export function fixtureTarget(f: OrgHubFixture, prefix: string, stop: () => Promise<void>): Target {
  let groups = 0;
  return {
    system: 'OrgHub',
    wire: 'ws',
    pid: () => f.pid(0),
    async prepare(n, s) {
      const id = `${prefix}-${++groups}-${Date.now().toString(36)}`;
      await f.group(id);
      return f.specs(id, 0, n, s);
    },
    async restart() {
      await f.stop(0);
      await f.start(0, SERVER_CORE);
    },
    stop,
  };
}
