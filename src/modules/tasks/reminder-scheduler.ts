import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { Reminder } from '../../protocol/tasks.js';
import type { EventSink, ServerEvent } from '../../realtime/events.js';
import { insertNotification } from '../notifications/notifications.repo.js';
import { toTask, type StoredTask } from './tasks.mapper.js';
import { findTask } from './tasks.repo.js';
import { rowsOf } from '../../shared/rows.js';

/** Rows claimed per transaction; a backlog (after downtime) drains over consecutive ticks. */
const BATCH = 100;

export interface ReminderScheduler {
  /**
   * Claims every due reminder (up to a batch), marks it fired, stores a notification for
   * open tasks and sends `task.reminder` to the task's user. Safe to run concurrently, in
   * one process or many on one database: each reminder is claimed by exactly one run.
   * Resolves with how many reminders were sent.
   */
  runOnce(): Promise<number>;
  /** Runs now (catching up on reminders that came due while no server ran), then every interval. */
  start(): void;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

interface Claimed {
  id: string;
  org_id: string;
  task_id: string;
  spec: Reminder;
  fire_at: string | Date;
}

export function createReminderScheduler(opts: {
  db: Db;
  events: EventSink;
  intervalMs: number;
  onError?: (err: unknown) => void;
}): ReminderScheduler {
  const { db, events } = opts;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  /** One transaction: claims up to a batch; resolves with how many were claimed and sent. */
  async function runBatch(): Promise<{ claimed: number; sent: number }> {
    let claimedCount = 0;
    const out: Array<{ orgId: string; userId: string; event: ServerEvent }> = [];
    await db.transaction(async (tx) => {
      // Claim and mark in one statement of one transaction: a row another node holds is
      // skipped, and one it already committed no longer matches `fired_at is null`.
      const claimed = await tx.execute<Claimed & Record<string, unknown>>(sql`
        with due as (
          select id from task_reminders
          where fired_at is null and fire_at <= now()
          order by fire_at
          limit ${BATCH}
          for update skip locked
        )
        update task_reminders r set fired_at = now()
        from due where r.id = due.id
        returning r.id, r.org_id, r.task_id, r.spec, r.fire_at`);
      const rows = rowsOf<Claimed>(claimed);
      claimedCount = rows.length;
      for (const c of rows) {
        const task: StoredTask | undefined = await findTask(tx, c.org_id, c.task_id);
        // A completed or cancelled task gets no reminder; its row stays consumed.
        if (!task || task.status === 'completed' || task.status === 'cancelled') continue;
        const reminder = c.spec;
        const payload = { task: toTask(task), reminder };
        const n = await insertNotification(tx, c.org_id, {
          userId: task.userId,
          type: 'task.reminder',
          payload,
        });
        out.push({
          orgId: c.org_id,
          userId: task.userId,
          event: { type: 'task.reminder', id: n.id, ...payload },
        });
      }
    });
    // Sent after the commit: the notification is stored whether or not a socket is open.
    for (const o of out) events.toUser(o.orgId, o.userId, o.event);
    return { claimed: claimedCount, sent: out.length };
  }

  async function runOnce(): Promise<number> {
    return (await runBatch()).sent;
  }

  /** Drains a backlog (after downtime) batch after batch instead of one batch per interval. */
  async function drain(): Promise<void> {
    for (;;) {
      const { claimed } = await runBatch();
      if (claimed < BATCH || !timer) return;
    }
  }

  function tick() {
    if (running) return;
    running = drain()
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        running = undefined;
      });
  }

  return {
    runOnce,
    start() {
      if (timer) return;
      timer = setInterval(tick, opts.intervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
