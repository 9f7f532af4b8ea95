import type { Db } from '../../db/database.js';
import { purgeOlderThan } from './messages.repo.js';

export interface PurgeJob {
  /** Runs one full pass now (tests; the timer calls it too). Resolves with rows deleted. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
}

const BATCH = 500;

/**
 * Deletes messages and announcements older than the retention window. Reads already hide
 * them, so the job only reclaims space: it runs in small batches, yielding between them so
 * that no long lock or long event-loop turn blocks senders, and its timer never keeps the
 * process alive.
 */
export function startPurgeJob(
  db: Db,
  opts: { retentionMs: number; everyMs?: number; onError?(err: unknown): void },
): PurgeJob {
  let running: Promise<number> | undefined;
  let stopped = false;
  const everyMs = opts.everyMs ?? Math.min(Math.max(opts.retentionMs / 4, 1000), 60_000);

  async function pass(): Promise<number> {
    let total = 0;
    const cutoff = new Date(Date.now() - opts.retentionMs);
    for (;;) {
      const n = await purgeOlderThan(db, cutoff, BATCH);
      total += n;
      if (n < BATCH || stopped) return total;
      await new Promise((r) => setImmediate(r));
    }
  }
  const runOnce = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch((err) => opts.onError?.(err));
  }, everyMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
