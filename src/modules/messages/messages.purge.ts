import type { Db } from '../../db/database.js';
import {
  dropDayPartitionsBefore,
  ensureDayPartitions,
  purgeDefaultPartition,
} from './messages.partitions.js';
import { purgeBroadcastsOlderThan } from './messages.repo.js';

export interface PurgeResult {
  /** Day partitions of messages dropped whole (every row in them past retention). */
  partitions: string[];
  /** Messages deleted one by one (from the default partition only). */
  rows: number;
  /** Announcements deleted. */
  broadcasts: number;
  /** Day partitions created ahead. */
  created: number;
}

export interface PurgeJob {
  /** Runs one full pass now (tests; the timer calls it too). */
  runOnce(): Promise<PurgeResult>;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
}

const BATCH = 500;

/**
 * Keeps the messages table's day partitions (messages.partitions.ts) and enforces retention:
 * each pass creates the coming days' partitions, drops the days wholly past the retention
 * window, and deletes in small batches what is not in a day partition (the default partition's
 * old rows) and old announcements. Reads already hide expired rows, so the job only reclaims
 * space: batches yield between them so that no long lock or long event-loop turn blocks
 * senders, and its timer never keeps the process alive. It runs once at start (a node that was
 * down for days makes today's partition at once) and then every `everyMs`.
 */
export function startPurgeJob(
  db: Db,
  opts: {
    retentionMs: number;
    everyMs?: number;
    onError?(err: unknown): void;
    /** Told of each timer pass that created or dropped partitions or deleted rows. */
    onPass?(result: PurgeResult): void;
  },
): PurgeJob {
  let running: Promise<PurgeResult> | undefined;
  let stopped = false;
  const everyMs = opts.everyMs ?? Math.min(Math.max(opts.retentionMs / 4, 1000), 60_000);

  async function pass(): Promise<PurgeResult> {
    const now = new Date();
    const cutoff = new Date(now.getTime() - opts.retentionMs);
    const created = await ensureDayPartitions(db, now);
    const partitions = await dropDayPartitionsBefore(db, cutoff);
    let rows = 0;
    let broadcasts = 0;
    for (;;) {
      const n = await purgeDefaultPartition(db, cutoff, BATCH);
      const b = await purgeBroadcastsOlderThan(db, cutoff, BATCH);
      rows += n;
      broadcasts += b;
      if ((n < BATCH && b < BATCH) || stopped) return { partitions, rows, broadcasts, created };
      await new Promise((r) => setImmediate(r));
    }
  }
  const runOnce = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const tick = () => {
    if (stopped) return;
    runOnce().then(
      (r) => {
        if (r.created || r.partitions.length || r.rows || r.broadcasts) opts.onPass?.(r);
      },
      (err) => opts.onError?.(err),
    );
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  setImmediate(tick);

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
