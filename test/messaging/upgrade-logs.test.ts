import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, createOrg, createUser, startApp, type TestApp } from '../helpers/app.js';
import { openWorkspace } from '../workspace/ws-client.js';
import { connect, openSocket, refusal, TestSocket } from './socket-client.js';

/**
 * A socket refused with 503 (the database down, the server shutting down) is the server doing
 * its job: logged at warn, without a stack, never as an error (issue 16, item 10).
 */
describe('socket upgrades refused with 503', () => {
  let t: TestApp;
  const logs = captureLogs();
  let orgId: string;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    t = await startApp({ logStream: logs.stream, config: { logLevel: 'debug' } });
    orgId = (await createOrg(t)).id;
    const u = await createUser(t, orgId);
    token = u.token;
    userId = u.user.id;
  });
  afterAll(() => t.app.close().catch(() => {}));

  const parsed = () => logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  it('are logged at warn without a stack when the database is unavailable', async () => {
    await t.app.database.close();
    const from = logs.lines.length;
    const refusals = [
      await refusal(connect(t, orgId, 'general', token)),
      await refusal(openSocket(`${t.wsUrl}/ws/dm/${userId}`, token, (ws) => new TestSocket(ws))),
    ];
    try {
      await (await openWorkspace(t, token)).close();
      refusals.push({ status: 101, body: null });
    } catch (err) {
      refusals.push(err as { status: number; body: unknown });
    }
    for (const r of refusals)
      expect(r).toMatchObject({ status: 503, body: { code: 'unavailable' } });
    const lines = parsed().slice(from);
    const upgrade = lines.filter((l) => /upgrade/.test(String(l['msg'])));
    expect(upgrade.length).toBeGreaterThanOrEqual(3);
    for (const l of upgrade) {
      expect(l['level'], JSON.stringify(l)).toBe(40);
      expect(JSON.stringify(l)).not.toContain('"stack"');
      expect(l['status']).toBe(503);
    }
    expect(lines.filter((l) => Number(l['level']) >= 50)).toEqual([]);
  });
});
