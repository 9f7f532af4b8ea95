import { count } from 'drizzle-orm';
import type { Config } from '../config.js';
import { messages, orgs, tasks, users } from '../db/schema.js';
import { openForTask } from './database-task.js';

/**
 * Opens the restored database as the server would (migrating a backup of an older version)
 * and counts what it holds, so the operator sees at once whether it is the data they meant.
 */
export async function restoredSummary(config: Config): Promise<string> {
  const database = await openForTask(config);
  try {
    const { db } = database;
    const rows = async (table: typeof orgs | typeof users | typeof messages | typeof tasks) =>
      (await db.select({ n: count() }).from(table))[0]?.n ?? 0;
    const [o, u, m, t] = [
      await rows(orgs),
      await rows(users),
      await rows(messages),
      await rows(tasks),
    ];
    return `${o} orgs, ${u} users, ${m} messages, ${t} tasks`;
  } finally {
    await database.close();
  }
}
