import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { taskReminders } from '../../src/db/schema.js';
import { MemoryBus } from '../../src/realtime/broker-memory.js';
import { api, createOrg, createUser, startApp, type TestApp } from '../helpers/app.js';
import { connect } from '../messaging/socket-client.js';
import { pollUntil } from '../helpers/wait.js';

interface N {
  id: string;
  task_id: string;
  created_at: string;
}
const notificationsOf = async (t: TestApp, token: string) =>
  (await api(t, 'GET', '/api/v1/notifications?limit=200', { token })).body.notifications as N[];

describe('reminders across restarts and nodes', () => {
  it('a reminder that came due while the server was down fires at the next start', async () => {
    const first = await startApp({ keepData: true, reminderIntervalMs: 100 });
    const orgId = (await createOrg(first)).id;
    const alice = await createUser(first, orgId);
    const at = Date.now() + 2500;
    const res = await api(first, 'POST', `/api/v1/users/${alice.user.id}/tasks`, {
      token: alice.token,
      body: { title: 'While down', reminders: [{ at: new Date(at).toISOString() }] },
    });
    expect(res.status).toBe(201);
    // A backlog larger than one claim batch (100), due at the same moment.
    const backlog = Array.from({ length: 150 }, (_, i) => ({
      orgId,
      taskId: res.body.id as string,
      position: i + 1,
      spec: { at: new Date(at).toISOString() },
      fireAt: new Date(at),
    }));
    await first.app.database.db.insert(taskReminders).values(backlog);
    await first.close();
    // The scenario needs the server down at the reminder's time.
    expect(Date.now()).toBeLessThan(at);
    // Waiting for the wall clock to pass the reminder is the scenario, not synchronisation.
    await new Promise((r) => setTimeout(r, at - Date.now() + 50));

    const restartedAt = Date.now();
    const second = await startApp({
      reuse: { dataDir: first.dataDir, databaseUrl: first.databaseUrl },
      reminderIntervalMs: 60_000, // only the run at start can fire it within the deadline
    });
    try {
      // Only the run at start can fire them in time: the whole backlog drains in that run.
      const ns = await pollUntil(
        () => notificationsOf(second, alice.token),
        (list) => list.filter((n) => n.task_id === res.body.id).length >= 151,
        { timeoutMs: 15_000, what: 'the 151 reminders fired at start' },
      );
      expect(ns.filter((n) => n.task_id === res.body.id)).toHaveLength(151);
      expect(Date.parse(ns[0]!.created_at)).toBeGreaterThanOrEqual(restartedAt - 1000);
    } finally {
      await second.close();
    }
  });

  describe.runIf(process.env['DATABASE_URL'])('two server processes on one PostgreSQL', () => {
    it('each reminder fires exactly once and reaches the user on either node', async () => {
      const bus = new MemoryBus();
      const one = await startApp({ reminderIntervalMs: 50, memoryBus: bus });
      const two = await startApp({
        reuse: {
          dataDir: await mkdtemp(path.join(os.tmpdir(), 'orghub-node2-')),
          databaseUrl: one.databaseUrl,
        },
        keepData: true, // the first app drops the database when it closes
        reminderIntervalMs: 50,
        memoryBus: bus,
      });
      try {
        const orgId = (await createOrg(one)).id;
        const alice = await createUser(one, orgId);
        await api(one, 'POST', `/api/v1/orgs/${orgId}/groups`, {
          token: alice.token,
          body: { id: 'g', name: 'G' },
        });
        const ws = await connect(two, orgId, 'g', alice.token, { query: { events: 'tasks' } });
        const at = new Date(Date.now() + 800).toISOString();
        const ids: string[] = [];
        for (let i = 0; i < 40; i++) {
          const node = i % 2 ? one : two;
          const res = await api(node, 'POST', `/api/v1/users/${alice.user.id}/tasks`, {
            token: alice.token,
            body: { title: `Both ${i}`, reminders: [{ at }] },
          });
          ids.push(res.body.id);
        }
        await ws.until(
          (fs) =>
            ids.every((id) =>
              fs.some((f) => f.type === 'task.reminder' && (f['task'] as { id: string }).id === id),
            ),
          15_000,
          'every reminder',
        );
        const ns = await notificationsOf(one, alice.token);
        for (const id of ids) expect(ns.filter((n) => n.task_id === id)).toHaveLength(1);
        const frames = ws.frames.filter((f) => f.type === 'task.reminder');
        expect(frames).toHaveLength(ids.length);
        ws.ws.terminate();
      } finally {
        await two.close();
        await one.close();
      }
    });
  });
});
