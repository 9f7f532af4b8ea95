import { isDatabaseUnavailable, type Db } from '../../db/database.js';
import * as repo from './messages.repo.js';

/** Past this many messages queued for one group, the rest wait for the next statement. */
const MAX_BATCH = 256;

interface Pending {
  message: repo.NewMessage;
  resolve(r: repo.InsertResult | undefined): void;
  reject(err: unknown): void;
}

/**
 * Group commit for message writes. A group has at most one statement in flight from this
 * node; messages for it that arrive meanwhile queue and are stored together, in arrival order,
 * by the next statement (`insertMessages`: one seq range, one multi-row INSERT). A statement
 * leaves at the end of the event-loop turn in which its first message arrived, so batching
 * costs one turn at low load and saves a round trip and a commit per message under load.
 *
 * Guarantees: each promise settles only after its message is committed (or known not to be);
 * seqs are contiguous and in arrival order per group; a repeated client_msg_id resolves to
 * the original row with `created: false`; an error is reported per message (a failed batch
 * is retried one message at a time, so one bad message fails alone). Promises of one batch
 * settle in seq order and before the next batch of that group is even sent, so callers that
 * publish on settlement publish in seq order.
 */
export class MessageWriter {
  /** Per group with a statement due or in flight: what waits for the next one. */
  private readonly queues = new Map<string, Pending[]>();

  constructor(private readonly db: Db) {}

  write(
    orgId: string,
    groupId: string,
    message: repo.NewMessage,
  ): Promise<repo.InsertResult | undefined> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { message, resolve, reject };
      const key = `${orgId}\u0000${groupId}`;
      const queue = this.queues.get(key);
      if (queue) {
        queue.push(pending);
        return;
      }
      this.queues.set(key, [pending]);
      // Whatever else arrives for the group in this turn of the event loop joins the same
      // statement. PGlite runs a query synchronously, so on it only this gathers a batch.
      setImmediate(() => void this.run(key, orgId, groupId));
    });
  }

  private async run(key: string, orgId: string, groupId: string) {
    const queue = this.queues.get(key)!;
    while (queue.length) await this.store(orgId, groupId, queue.splice(0, MAX_BATCH));
    this.queues.delete(key);
  }

  private async store(orgId: string, groupId: string, batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.storeOne(orgId, groupId, batch[0]!);
    let results: Array<repo.InsertResult | undefined>;
    try {
      results = await repo.insertMessages(
        this.db,
        orgId,
        groupId,
        batch.map((p) => p.message),
      );
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // One message the database refuses: one by one, each gets its own answer.
      for (const p of batch) await this.storeOne(orgId, groupId, p);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }

  private async storeOne(orgId: string, groupId: string, p: Pending): Promise<void> {
    try {
      p.resolve(await repo.insertMessage(this.db, orgId, groupId, p.message));
    } catch (err) {
      p.reject(err);
    }
  }
}
