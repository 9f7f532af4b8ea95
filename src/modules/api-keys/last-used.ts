/**
 * Keeps `api_keys.last_used_at` without a write per request: uses are noted in memory and
 * written in one statement every `flushEveryMs`, and once more on shutdown. A node that dies
 * without a shutdown loses at most its last interval of uses (the time is a hint for people
 * deciding which keys to revoke, never a security decision).
 *
 * Guarantees: `used` is a memory write, never throws; at most one flush runs at a time; a
 * flush that fails keeps its uses for the next one (newer uses of a key win).
 */
export interface LastUsedRecorder {
  used(keyId: string): void;
  /** Writes what is pending now. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is pending. */
  close(): Promise<void>;
}

export function createLastUsedRecorder(opts: {
  write(used: ReadonlyMap<string, Date>): Promise<void>;
  flushEveryMs: number;
  onError?(err: unknown): void;
}): LastUsedRecorder {
  let pending = new Map<string, Date>();
  let running: Promise<void> | undefined;

  async function flushOnce() {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await opts.write(batch);
    } catch (err) {
      for (const [id, t] of batch) if (!pending.has(id)) pending.set(id, t);
      throw err;
    }
  }
  const flush = async (): Promise<void> => {
    // A flush asked for while one runs waits for it, then writes what came meanwhile.
    while (running) await running.catch(() => {});
    running = flushOnce().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(
    () => void flush().catch((err: unknown) => opts.onError?.(err)),
    opts.flushEveryMs,
  );
  timer.unref();

  return {
    used(keyId) {
      pending.set(keyId, new Date());
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
