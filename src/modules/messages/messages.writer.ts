import { isDatabaseUnavailable, type Db } from '../../db/database.js';
import * as repo from './messages.repo.js';

/** Past this many messages queued for one group, the rest wait for the next statement. */
const MAX_BATCH = 256;
/** Past this many messages in one statement, the other groups wait for the next one. */
const MAX_STATEMENT = 1024;

interface Pending {
  message: repo.NewMessage;
  resolve(r: repo.InsertResult | undefined): void;
  reject(err: unknown): void;
}

interface GroupQueue {
  orgId: string;
  groupId: string;
  /** What waits for this group's next statement, in arrival order. */
  pending: Pending[];
  /** A statement holding messages of this group is on its way to the database. */
  inFlight: boolean;
}

interface Part {
  queue: GroupQueue;
  batch: Pending[];
}

/**
 * Group commit for message writes. A group has at most one statement in flight from this
 * node; messages for it that arrive meanwhile queue and are stored together, in arrival order,
 * by the next statement. At the end of each event-loop turn in which messages arrived, every
 * group that has messages waiting and none in flight joins ONE statement
 * (`insertAcrossGroups`: a seq range per group, one multi-row INSERT), so batching costs one
 * turn at low load, and under load saves a round trip and a commit per message, also when
 * each group has a single sender (10 senders over 10 groups share statements).
 *
 * Guarantees: each promise settles only after its message is committed (or known not to be);
 * seqs are contiguous and in arrival order per group; a repeated client_msg_id resolves to
 * the original row with `created: false`; an error is reported per message (a failed
 * statement is retried one message at a time, so one bad message fails alone). Promises of
 * one group settle in seq order and before that group's next statement is even sent, so
 * callers that publish on settlement publish in seq order.
 */
export class MessageWriter {
  /** Per group with messages waiting or a statement in flight. */
  private readonly queues = new Map<string, GroupQueue>();
  private flushDue = false;

  constructor(private readonly db: Db) {}

  write(
    orgId: string,
    groupId: string,
    message: repo.NewMessage,
  ): Promise<repo.InsertResult | undefined> {
    return new Promise((resolve, reject) => {
      const key = `${orgId}\u0000${groupId}`;
      let queue = this.queues.get(key);
      if (!queue) {
        queue = { orgId, groupId, pending: [], inFlight: false };
        this.queues.set(key, queue);
      }
      queue.pending.push({ message, resolve, reject });
      if (!queue.inFlight) this.scheduleFlush();
    });
  }

  /**
   * Whatever else arrives in this turn of the event loop joins the same statement. PGlite runs
   * a query synchronously, so on it only this gathers a batch.
   */
  private scheduleFlush() {
    if (this.flushDue) return;
    this.flushDue = true;
    setImmediate(() => {
      this.flushDue = false;
      void this.flush();
    });
  }

  private async flush() {
    const parts: Part[] = [];
    let size = 0;
    for (const queue of this.queues.values()) {
      if (queue.inFlight || queue.pending.length === 0) continue;
      if (size >= MAX_STATEMENT) {
        this.scheduleFlush();
        break;
      }
      const batch = queue.pending.splice(0, Math.min(MAX_BATCH, MAX_STATEMENT - size));
      queue.inFlight = true;
      parts.push({ queue, batch });
      size += batch.length;
    }
    if (parts.length === 0) return;
    await this.store(parts);
    for (const { queue } of parts) {
      queue.inFlight = false;
      if (queue.pending.length) this.scheduleFlush();
      else this.queues.delete(`${queue.orgId}\u0000${queue.groupId}`);
    }
  }

  private async store(parts: Part[]): Promise<void> {
    const all = parts.flatMap(({ queue, batch }) => batch.map((p) => ({ queue, p })));
    if (all.length === 1) return this.storeOne(all[0]!.queue, all[0]!.p);
    let results: Array<repo.InsertResult | undefined>;
    try {
      results = await repo.insertAcrossGroups(
        this.db,
        all.map(({ queue, p }) => ({
          orgId: queue.orgId,
          groupId: queue.groupId,
          message: p.message,
        })),
      );
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        for (const { p } of all) p.reject(err);
        return;
      }
      // A duplicate committed by another node meanwhile, a deadlock the database broke, or
      // one message it refuses: one by one, each gets its own answer.
      for (const { queue, p } of all) await this.storeOne(queue, p);
      return;
    }
    all.forEach(({ p }, i) => p.resolve(results[i]));
  }

  private async storeOne(queue: GroupQueue, p: Pending): Promise<void> {
    try {
      p.resolve(await repo.insertMessage(this.db, queue.orgId, queue.groupId, p.message));
    } catch (err) {
      p.reject(err);
    }
  }
}
