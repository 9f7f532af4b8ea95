import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRefreshToken } from '../../src/modules/auth/refresh-tokens.repo.js';
import { newRefreshToken } from '../../src/modules/auth/tokens.js';
import {
  api,
  createOrg,
  createUser,
  dropDatabase,
  freshDatabase,
  PASSWORD,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { pollUntil } from '../helpers/wait.js';
import { login, refresh, type TokenPair } from '../foundation/session.js';
import { connect, refusal, type TestSocket } from '../messaging/socket-client.js';
import { openWorkspace, refusedWith } from '../workspace/ws-client.js';

/**
 * "Sessions end when they are ended": every way a session ends × every way a token is used.
 * With DATABASE_URL and REDIS_URL the session is ended on node A and everything is checked on
 * node B (two apps sharing the database and Redis); otherwise on one embedded node.
 */
const twoNodes = !!process.env['DATABASE_URL'] && !!process.env['REDIS_URL'];
const WITHIN_MS = 1000;
const NEW_PASSWORD = 'a-whole-new-passphrase-42';

interface Ending {
  name: string;
  /** Ends sessions of `f` on node A; `current` is the session the user acts from. */
  end(f: Fixture, victim: TokenPair, current: TokenPair): Promise<void>;
  /** Whether `current` (another session of the user) survives. */
  currentSurvives: boolean;
}

describe(
  `session matrix (${twoNodes ? 'two nodes, PostgreSQL + Redis' : 'one node'})`,
  {
    timeout: 120_000,
  },
  () => {
    let where: Awaited<ReturnType<typeof freshDatabase>>;
    let a: TestApp;
    let b: TestApp;
    let orgId: string;
    let admin: Fixture;
    const open: TestSocket[] = [];

    const me = (t: TestApp, token: string) => api(t, 'GET', '/api/v1/auth/me', { token });
    const post = (t: TestApp, token: string) =>
      api(t, 'POST', `/api/v1/orgs/${orgId}/groups/general/broadcast`, {
        token,
        body: { content: 'still here?' },
      });
    const signIn = async (f: Fixture) => {
      const res = await login(a, { org_id: orgId, username: f.user.username });
      expect(res.status).toBe(200);
      return res.body;
    };
    const sockets = async (t: TestApp, token: string) => {
      const group = await connect(t, orgId, 'general', token);
      const ws = await openWorkspace(t, token);
      open.push(group, ws);
      return { group, ws };
    };
    /** Resolves with the close code, or fails when the socket is still open at the deadline. */
    const closedWithin = async (s: TestSocket, ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
      });
      try {
        return (await Promise.race([s.closed, late])).code;
      } finally {
        clearTimeout(timer);
      }
    };

    beforeAll(async () => {
      const config = { trustProxy: true, maxSocketsPerUser: 20 };
      if (twoNodes) {
        where = await freshDatabase();
        const start = () =>
          startApp({
            reuse: where,
            keepData: true,
            config: { ...config, redisUrl: process.env['REDIS_URL']! },
          });
        a = await start();
        b = await start();
      } else {
        a = b = await startApp({ config });
      }
      orgId = (await createOrg(a)).id;
      admin = await createUser(a, orgId, { role: 'admin' });
      const g = await api(a, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: admin.token,
        body: { id: 'general', name: 'General' },
      });
      expect(g.status).toBe(201);
    });
    afterAll(async () => {
      for (const s of open) s.ws.terminate();
      if (twoNodes) {
        await Promise.all([a?.close(), b?.close()]);
        if (where) await dropDatabase(where);
      } else {
        await a?.close();
      }
    });

    const endings: Ending[] = [
      {
        name: 'logout',
        currentSurvives: true,
        async end(_f, victim) {
          const r = await api(a, 'POST', '/api/v1/auth/logout', {
            body: { refresh_token: victim.refresh_token },
          });
          expect(r.status).toBe(204);
        },
      },
      {
        name: 'refresh-token reuse',
        currentSurvives: false,
        async end(_f, victim) {
          const rotated = await refresh(a, victim.refresh_token);
          expect(rotated.status).toBe(200);
          const reuse = await refresh(a, victim.refresh_token);
          expect(reuse.status).toBe(401);
          // The token the rotation handed out belongs to the same, now ended, session.
          await pollUntil(
            async () => (await me(b, rotated.body.access_token)).status,
            (s) => s === 401,
            { timeoutMs: WITHIN_MS, what: 'the rotated access token to be refused' },
          );
        },
      },
      {
        name: 'password change (other sessions end, the current one stays)',
        currentSurvives: true,
        async end(f, _victim, current) {
          const r = await api(a, 'PUT', `/api/v1/users/${f.user.id}`, {
            token: current.access_token,
            body: { password: NEW_PASSWORD, current_password: PASSWORD },
          });
          expect(r.status).toBe(200);
        },
      },
      {
        name: "an admin's reset",
        currentSurvives: false,
        async end(f) {
          const r = await api(a, 'PUT', `/api/v1/users/${f.user.id}`, {
            token: admin.token,
            body: { password: NEW_PASSWORD },
          });
          expect(r.status).toBe(200);
        },
      },
      {
        name: 'user deletion',
        currentSurvives: false,
        async end(f) {
          const r = await api(a, 'DELETE', `/api/v1/users/${f.user.id}`, { token: admin.token });
          expect(r.status).toBe(204);
        },
      },
    ];

    for (const ending of endings) {
      it(`${ending.name}: 401 on REST and upgrades, open sockets closed 4003, within 1 s`, async () => {
        const f = await createUser(a, orgId);
        const victim = await signIn(f);
        const current = await signIn(f);
        const before = await sockets(b, victim.access_token);
        const kept = await sockets(b, current.access_token);
        expect((await me(b, victim.access_token)).status).toBe(200);

        await ending.end(f, victim, current);
        const ended = Date.now();

        // Sockets already open on node B close with 4003.
        expect(await closedWithin(before.group, WITHIN_MS)).toBe(4003);
        expect(await closedWithin(before.ws, WITHIN_MS - (Date.now() - ended))).toBe(4003);
        // REST on node B: polled up to the deadline (another node learns it over Redis).
        await pollUntil(
          async () => (await me(b, victim.access_token)).status,
          (s) => s === 401,
          { timeoutMs: WITHIN_MS - (Date.now() - ended), what: 'GET /auth/me to answer 401' },
        );
        expect(Date.now() - ended).toBeLessThan(WITHIN_MS);
        expect((await post(b, victim.access_token)).status).toBe(401);
        expect((await refusal(connect(b, orgId, 'general', victim.access_token))).status).toBe(401);
        expect(await refusedWith(openWorkspace(b, victim.access_token))).toEqual({
          status: 401,
          code: 'unauthorized',
        });
        // Node A agrees.
        expect((await me(a, victim.access_token)).status).toBe(401);

        if (ending.currentSurvives) {
          expect((await me(b, current.access_token)).status).toBe(200);
          expect((await post(b, current.access_token)).status).toBe(200);
          expect(kept.group.ws.readyState).toBe(kept.group.ws.OPEN);
          expect(await kept.ws.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
          const fresh = await sockets(b, current.access_token);
          expect(fresh.group.ws.readyState).toBe(fresh.group.ws.OPEN);
        } else {
          expect(await closedWithin(kept.group, WITHIN_MS)).toBe(4003);
          expect(await closedWithin(kept.ws, WITHIN_MS)).toBe(4003);
          expect((await me(b, current.access_token)).status).toBe(401);
          expect((await post(b, current.access_token)).status).toBe(401);
          expect((await refusal(connect(b, orgId, 'general', current.access_token))).status).toBe(
            401,
          );
          expect((await refusedWith(openWorkspace(b, current.access_token))).status).toBe(401);
        }
      });
    }

    it('a refresh that raced a logout leaves no live token: its row is refused', async () => {
      // The logout's UPDATE cannot see a row that a concurrent refresh inserts: such a row of an
      // ended family must never refresh (here written directly, as that race leaves it).
      const f = await createUser(a, orgId);
      const s = await signIn(f);
      const out = await api(a, 'POST', '/api/v1/auth/logout', {
        body: { refresh_token: s.refresh_token },
      });
      expect(out.status).toBe(204);
      const sid = JSON.parse(
        Buffer.from(s.access_token.split('.')[1]!, 'base64url').toString(),
      ) as { sid: string };
      const straggler = newRefreshToken();
      await insertRefreshToken(a.app.database.db, {
        orgId,
        userId: f.user.id,
        tokenHash: straggler.hash,
        familyId: sid.sid,
        expiresAt: new Date(Date.now() + 3600_000),
      });
      const r = await refresh(b, straggler.token);
      expect(r.status).toBe(401);
      // And it is an ended session, not a theft: the user's other sessions live on.
      const other = await signIn(f);
      expect((await me(b, other.access_token)).status).toBe(200);
    });

    it('refreshes racing logouts of the same session never yield a working token', async () => {
      const f = await createUser(a, orgId);
      for (let i = 0; i < 10; i++) {
        const s = await signIn(f);
        const [r] = await Promise.all([
          refresh(a, s.refresh_token),
          api(a, 'POST', '/api/v1/auth/logout', { body: { refresh_token: s.refresh_token } }),
        ]);
        if (r.status !== 200) continue;
        expect((await refresh(a, r.body.refresh_token)).status).toBe(401);
        await pollUntil(
          async () => (await me(b, r.body.access_token)).status,
          (st) => st === 401,
          { timeoutMs: WITHIN_MS, what: 'the raced access token to be refused' },
        );
      }
    });
  },
);

describe('a node that starts after a session ended', { timeout: 120_000 }, () => {
  it('learns it from the database: the token answers 401', async () => {
    const first = await startApp({ config: { trustProxy: true }, keepData: true });
    const where = { dataDir: first.dataDir, databaseUrl: first.databaseUrl };
    let second: TestApp | undefined;
    let firstOpen = true;
    try {
      const orgId = (await createOrg(first)).id;
      const f = await createUser(first, orgId);
      const s = (await login(first, { org_id: orgId, username: f.user.username })).body;
      const out = await api(first, 'POST', '/api/v1/auth/logout', {
        body: { refresh_token: s.refresh_token },
      });
      expect(out.status).toBe(204);
      await first.close();
      firstOpen = false;
      second = await startApp({ reuse: where, keepData: true });
      const res = await api(second, 'GET', '/api/v1/auth/me', { token: s.access_token });
      expect(res.status).toBe(401);
      // A token of a session that did not end still works there.
      const live = (await login(second, { org_id: orgId, username: f.user.username })).body;
      expect(
        (await api(second, 'GET', '/api/v1/auth/me', { token: live.access_token })).status,
      ).toBe(200);
    } finally {
      if (firstOpen) await first.close();
      await second?.close();
      await dropDatabase(where);
    }
  });
});

describe.runIf(twoNodes)(
  'a node that was cut off from Redis while a session ended',
  {
    timeout: 120_000,
  },
  () => {
    it('learns it from the database once Redis is back (the resync)', async () => {
      // A private redis-server of this suite's own (port range 56100-56199): it is killed here.
      const redis = await startPrivateRedis({ port: 56101 });
      const where = await freshDatabase();
      const start = () =>
        startApp({
          reuse: where,
          keepData: true,
          config: { trustProxy: true, redisUrl: redis.url },
        });
      const nodes: TestApp[] = [];
      try {
        nodes.push(await start(), await start());
        const [a, b] = nodes as [TestApp, TestApp];
        const orgId = (await createOrg(a)).id;
        const f = await createUser(a, orgId);
        const s = (await login(a, { org_id: orgId, username: f.user.username })).body;
        const me = (t: TestApp) => api(t, 'GET', '/api/v1/auth/me', { token: s.access_token });
        expect((await me(b)).status).toBe(200);

        await redis.kill();
        // The logout is stored, and its message to the other nodes is lost with Redis.
        const out = await api(a, 'POST', '/api/v1/auth/logout', {
          body: { refresh_token: s.refresh_token },
        });
        expect(out.status).toBe(204);
        expect((await me(a)).status).toBe(401);
        await redis.start();
        await pollUntil(
          async () => (await me(b)).status,
          (st) => st === 401,
          { timeoutMs: 15_000, what: 'node B to refuse the token after the resync' },
        );
      } finally {
        await Promise.all(nodes.map((n) => n.close()));
        await dropDatabase(where);
        await redis.stop();
      }
    });
  },
);
