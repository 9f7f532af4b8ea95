import { fileURLToPath } from 'node:url';
import type {
  Command,
  ConnectResult,
  ReconnectResult,
  Reply,
  RunResult,
  SocketSpec,
  StatusResult,
  Wire,
} from '../loadgen/protocol.js';
import { spawnNode, type ManagedProc } from './procs.js';

export const GENERATOR_CORE = 1;
const MAIN = fileURLToPath(new URL('../loadgen/main.ts', import.meta.url));

type Payload<C> = C extends { cmd: infer _ } ? Omit<C, 'id'> : never;

/** The runner's handle on the load generator child process. */
export class LoadGen {
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();

  private constructor(private readonly proc: ManagedProc) {
    proc.child.on('message', (r: Reply) => {
      this.pending.get(r.id)?.(r);
      this.pending.delete(r.id);
    });
    void proc.exited.then(() => {
      for (const [id, done] of this.pending) {
        done({ id, ok: false, error: `load generator exited: ${proc.stderrTail().trim()}` });
      }
      this.pending.clear();
    });
  }

  static start(): LoadGen {
    return new LoadGen(
      spawnNode({ name: 'loadgen', core: GENERATOR_CORE, args: [MAIN], ipc: true }),
    );
  }

  get pid(): number {
    return this.proc.pid;
  }

  private call<T>(cmd: Payload<Command>, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load generator: no answer to ${cmd.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        if (r.ok) resolve(r.result as T);
        else reject(new Error(r.error));
      });
      this.proc.child.send({ ...cmd, id } as Command);
    });
  }

  connect(wire: Wire, sockets: SocketSpec[], timeoutMs = 60_000): Promise<ConnectResult> {
    return this.call(
      { cmd: 'connect', wire, sockets, concurrency: 200, timeoutMs },
      // The handshake timeout is per socket; the whole batch may take 50 ms per socket more.
      timeoutMs + 30_000 + sockets.length * 50,
    );
  }

  run(opts: {
    runId: number;
    mode: 'open' | 'closed';
    ratePerSender?: number;
    window?: number;
    durationMs: number;
    drainMs: number;
    contentBytes?: number;
  }): Promise<RunResult> {
    return this.call(
      {
        cmd: 'run',
        ratePerSender: 1,
        window: 1,
        contentBytes: 100,
        ...opts,
      },
      opts.durationMs + opts.drainMs + 30_000,
    );
  }

  reconnect(targetSeq: number, timeoutMs: number): Promise<ReconnectResult> {
    return this.call({ cmd: 'reconnect', targetSeq, timeoutMs }, timeoutMs + 30_000);
  }

  status(): Promise<StatusResult> {
    return this.call({ cmd: 'status' }, 10_000);
  }

  closeAll(): Promise<null> {
    return this.call({ cmd: 'closeAll' }, 10_000);
  }

  async exit(): Promise<void> {
    await this.call({ cmd: 'exit' }, 5_000).catch(() => {});
    await this.proc.stop(2_000);
  }
}
