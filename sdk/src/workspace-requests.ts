import type { WorkspaceError } from './types.js';

/** A server `error` frame as the rejection of the request it answers. */
export class WorkspaceRequestError extends Error {
  constructor(
    readonly code: WorkspaceError['code'],
    message: string,
    readonly groupId?: string,
  ) {
    super(message);
    this.name = 'WorkspaceRequestError';
  }
}

export const socketClosed = () => new Error('socket closed');

interface Entry {
  resolve: (v: never) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Requests in flight on one socket, matched to their reply by `req`. */
export class RequestTable {
  private readonly entries = new Map<string, Entry>();

  /** Resolves with the reply carrying `req`; rejects with `timeout` after `timeoutMs` if given. */
  add<T>(req: string, timeoutMs?: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.entries.delete(req);
              reject(new Error('timeout'));
            }, timeoutMs);
      this.entries.set(req, { resolve: resolve as (v: never) => void, reject, timer });
    });
  }

  /** True when a request was waiting for this reply. */
  settle(req: string, reply: unknown): boolean {
    const e = this.take(req);
    e?.resolve(reply as never);
    return e !== undefined;
  }

  fail(req: string, err: WorkspaceError): boolean {
    const e = this.take(req);
    e?.reject(new WorkspaceRequestError(err.code, err.message, err.group_id));
    return e !== undefined;
  }

  rejectAll(err: Error): void {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) {
      clearTimeout(e.timer);
      e.reject(err);
    }
  }

  private take(req: string): Entry | undefined {
    const e = this.entries.get(req);
    if (!e) return undefined;
    this.entries.delete(req);
    clearTimeout(e.timer);
    return e;
  }
}
