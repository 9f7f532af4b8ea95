import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, openPostgres, type Database } from '../../src/db/database.js';
import { eventually } from '../helpers/wait.js';
import {
  missingFaultTools,
  startPrivatePostgres,
  type PrivatePostgres,
} from '../helpers/private-postgres.js';
import { faultSuiteSkip } from './skip.js';

// Issue 16, defect 9: `pg_ctl stop -m immediate` while a pooled connection was checked out
// (the reminder scheduler's transaction, say) made a node exit with "Unhandled 'error' event".
const skip = faultSuiteSkip(missingFaultTools());

describe.skipIf(skip)('a PostgreSQL crash under an open connection', () => {
  let server: PrivatePostgres;
  let database: Database;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeAll(async () => {
    server = await startPrivatePostgres();
    database = await openPostgres(server.url, { poolSize: 4, statementTimeoutMs: 10_000 });
    process.on('uncaughtException', onUncaught);
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await database?.close().catch(() => {});
    await server?.destroy();
  });

  it('fails the open transaction as unavailable, raises nothing, and reconnects after', async () => {
    let crashed!: () => void;
    const serverGone = new Promise<void>((resolve) => (crashed = resolve));
    const tx = database.db.transaction(async (t) => {
      await t.execute(sql`select 1`);
      // The connection is checked out and idle in the transaction when the server dies.
      await serverGone;
      await t.execute(sql`select 1`);
    });
    const outcome = tx.then(
      () => 'committed',
      (err: unknown) => err,
    );
    // Idle pooled connections too: they see the crash as well.
    await Promise.all([1, 2, 3].map(() => database.db.execute(sql`select 1`)));
    await server.crash();
    // Give the dead sockets' events time to arrive before the transaction goes on.
    await eventually(async () => {
      await expect(database.ping()).rejects.toSatisfy(isDatabaseUnavailable);
    });
    crashed();
    const err = await outcome;
    expect(err).not.toBe('committed');
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(uncaught).toEqual([]);

    await server.start();
    await eventually(() => database.ping(), 15_000);
    expect(uncaught).toEqual([]);
  });
});
