import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../src/db/schema.js';
import {
  api,
  captureLogs,
  createOrg,
  createUser,
  dropDatabase,
  freshDatabase,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { pollUntil } from '../helpers/wait.js';
import { connect, refusal, type TestSocket } from '../messaging/socket-client.js';
import { openWorkspace, refusedWith } from '../workspace/ws-client.js';

/**
 * API keys (CONTRACT.md "Integrations"): created by admins and the operator, shown once,
 * stored as a hash, acting in their org only and within their scopes, revoked on every node
 * within 1 s, `last_used_at` written in batches. With DATABASE_URL and REDIS_URL a key is
 * revoked on node A and checked on node B (two apps sharing the database and Redis);
 * otherwise on one embedded node.
 */
const twoNodes = !!process.env['DATABASE_URL'] && !!process.env['REDIS_URL'];
const WITHIN_MS = 1000;
const FLUSH_MS = 150;

interface Created {
  id: string;
  key: string;
  name: string;
  scopes: string[];
  groups: string[] | null;
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
}

describe(
  `API keys (${twoNodes ? 'two nodes, PostgreSQL + Redis' : 'one node'})`,
  {
    timeout: 120_000,
  },
  () => {
    let where: Awaited<ReturnType<typeof freshDatabase>>;
    let a: TestApp;
    let b: TestApp;
    let orgId: string;
    let otherOrg: string;
    let admin: Fixture;
    let member: Fixture;
    let otherAdmin: Fixture;
    const logs = captureLogs();
    const open: TestSocket[] = [];

    const createKey = async (body: object, token = admin.token, org = orgId) => {
      const res = await api<Created>(a, 'POST', `/api/v1/orgs/${org}/api-keys`, { token, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    };
    const row = async (id: string) => {
      const [r] = await a.app.database.db.select().from(apiKeys).where(eq(apiKeys.id, id));
      return r!;
    };
    const post = (t: TestApp, key: string, groupId = 'general', content = 'deployed v1.2.3') =>
      api(t, 'POST', `/api/v1/orgs/${orgId}/groups/${groupId}/broadcast`, {
        token: key,
        body: { content },
      });

    beforeAll(async () => {
      const config = { logLevel: 'debug' as const, maxSocketsPerUser: 3 };
      if (twoNodes) {
        where = await freshDatabase();
        // Node A's logs are captured (and checked for keys); node B's are off.
        const start = (logStream?: typeof logs.stream) =>
          startApp({
            reuse: where,
            keepData: true,
            apiKeyFlushMs: FLUSH_MS,
            config: {
              ...config,
              ...(!logStream && { logLevel: 'silent' as const }),
              redisUrl: process.env['REDIS_URL']!,
            },
            ...(logStream && { logStream }),
          });
        a = await start(logs.stream);
        b = await start();
      } else {
        a = b = await startApp({ config, logStream: logs.stream, apiKeyFlushMs: FLUSH_MS });
      }
      orgId = (await createOrg(a)).id;
      otherOrg = (await createOrg(a)).id;
      admin = await createUser(a, orgId, { role: 'admin' });
      member = await createUser(a, orgId);
      otherAdmin = await createUser(a, otherOrg, { role: 'admin' });
      for (const [id, priv] of [
        ['general', false],
        ['random', false],
        ['secret', true],
      ] as const) {
        const g = await api(a, 'POST', `/api/v1/orgs/${orgId}/groups`, {
          token: admin.token,
          body: { id, name: id, private: priv },
        });
        expect(g.status).toBe(201);
      }
      const g = await api(a, 'POST', `/api/v1/orgs/${otherOrg}/groups`, {
        token: otherAdmin.token,
        body: { id: 'general', name: 'general' },
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

    it('an admin creates a key: shown once, listed without it, stored only as its SHA-256', async () => {
      const created = await createKey({ name: 'deploy-bot', scopes: ['messages:write'] });
      expect(created).toMatchObject({
        name: 'deploy-bot',
        scopes: ['messages:write'],
        groups: null,
        last_used_at: null,
      });
      expect(created.key).toMatch(/^ohk_[A-Za-z0-9_-]{43}$/);
      expect(created.key.startsWith(created.key_prefix)).toBe(true);

      const list = await api<{ api_keys: Array<Record<string, unknown>> }>(
        a,
        'GET',
        `/api/v1/orgs/${orgId}/api-keys`,
        { token: admin.token },
      );
      expect(list.status).toBe(200);
      const listed = list.body.api_keys.find((k) => k['id'] === created.id);
      expect(listed).toMatchObject({ name: 'deploy-bot', created_by: admin.user.id });
      expect(listed).not.toHaveProperty('key');
      expect(JSON.stringify(list.body)).not.toContain(created.key.slice(12));

      // At rest: the hash, and no part of the key past the shown prefix.
      const r = await row(created.id);
      expect(r.keyHash).toBe(createHash('sha256').update(created.key).digest('hex'));
      expect(JSON.stringify(r)).not.toContain(created.key.slice(created.key_prefix.length));
      // Never in the logs either (debug level: every request is logged).
      expect(logs.lines.join('\n')).not.toContain(created.key.slice(created.key_prefix.length));
    });

    it('only admins of the org and the operator manage keys; bodies are validated by field', async () => {
      const body = { name: 'x', scopes: ['tasks:read'] };
      const path = `/api/v1/orgs/${orgId}/api-keys`;
      expect((await api(a, 'POST', path, { token: member.token, body })).status).toBe(403);
      expect((await api(a, 'GET', path, { token: member.token })).status).toBe(403);
      // Another org's admin: the org is not there for them.
      expect((await api(a, 'POST', path, { token: otherAdmin.token, body })).status).toBe(404);
      expect((await api(a, 'GET', path, { token: otherAdmin.token })).status).toBe(404);
      // The operator may, in any org that exists.
      expect((await api(a, 'POST', path, { token: a.operatorToken, body })).status).toBe(201);
      const missing = await api(a, 'POST', '/api/v1/orgs/no-such-org/api-keys', {
        token: a.operatorToken,
        body,
      });
      expect(missing.status).toBe(404);
      // A key cannot mint keys, whatever its scopes.
      const key = await createKey({ name: 'all', scopes: ['messages:read', 'users:read'] });
      const minted = await api(a, 'POST', path, { token: key.key, body });
      expect(minted.status).toBe(403);

      const bad: Array<[object, RegExp, number]> = [
        [{ scopes: ['tasks:read'] }, /name/, 400],
        [{ name: 'x', scopes: [] }, /scopes/, 400],
        [{ name: 'x', scopes: ['admin'] }, /scopes/, 400],
        [{ name: 'x', scopes: ['tasks:read', 'tasks:read'] }, /scopes/, 400],
        [{ name: ' spaced', scopes: ['tasks:read'] }, /name/, 400],
        [{ name: 'Operator', scopes: ['tasks:read'] }, /name/, 400],
        [{ name: 'x', scopes: ['tasks:read'], groups: ['nope'] }, /group nope/, 404],
        [{ name: 'x', scopes: ['tasks:read'], extra: 1 }, /extra/, 400],
      ];
      for (const [b, message, status] of bad) {
        const res = await api<{ error: string }>(a, 'POST', path, { token: admin.token, body: b });
        expect(res.status, JSON.stringify(b)).toBe(status);
        expect(res.body.error, JSON.stringify(b)).toMatch(message);
      }
      // Another org's group in `groups` is not there (404), as for any id in a body.
      const foreign = await api(a, 'POST', `/api/v1/orgs/${otherOrg}/api-keys`, {
        token: otherAdmin.token,
        body: { name: 'x', scopes: ['messages:read'], groups: ['secret'] },
      });
      expect(foreign.status).toBe(404);
    });

    it('posts as the key: user_id null, username the key’s name, on REST and live', async () => {
      const key = await createKey({ name: 'ci bot', scopes: ['messages:write', 'broadcast'] });
      const watcher = await connect(b, orgId, 'general', member.token);
      open.push(watcher);
      const res = await post(a, key.key);
      expect(res.status).toBe(200);
      expect(res.body.message).toMatchObject({ user_id: null, username: 'ci bot' });
      const live = await watcher.next(
        (f) => f.type === 'message' && f['content'] === 'deployed v1.2.3',
      );
      expect(live).toMatchObject({ user_id: null, username: 'ci bot' });

      const announce = await api(a, 'POST', `/api/v1/orgs/${orgId}/broadcast`, {
        token: key.key,
        body: { content: 'maintenance at 18:00' },
      });
      expect(announce.status).toBe(200);
      expect(announce.body.message).toMatchObject({ user_id: null, username: 'ci bot' });
      const frame = await watcher.next((f) => f.type === 'broadcast');
      expect(frame).toMatchObject({
        user_id: null,
        username: 'ci bot',
        content: 'maintenance at 18:00',
      });
    });

    it('acts only within its scopes: 403 naming the missing one', async () => {
      const writer = await createKey({ name: 'writer', scopes: ['messages:write'] });
      const reader = await createKey({ name: 'reader', scopes: ['messages:read', 'tasks:read'] });
      const tasker = await createKey({ name: 'tasker', scopes: ['tasks:write', 'users:read'] });
      const denied = async (
        method: string,
        path: string,
        key: string,
        scope: string,
        body?: object,
      ) => {
        const res = await api<{ error: string; code: string }>(a, method, path, {
          token: key,
          ...(body && { body }),
        });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.code).toBe('forbidden');
        expect(res.body.error).toContain(scope);
      };
      const messages = `/api/v1/orgs/${orgId}/groups/general/messages`;
      await denied('GET', messages, writer.key, 'messages:read');
      await denied('POST', `/api/v1/orgs/${orgId}/broadcast`, writer.key, 'broadcast', {
        content: 'x',
      });
      await denied(
        'POST',
        `/api/v1/orgs/${orgId}/groups/general/broadcast`,
        reader.key,
        'messages:write',
        {
          content: 'x',
        },
      );
      await denied('GET', `/api/v1/orgs/${orgId}/users`, reader.key, 'users:read');
      await denied('POST', `/api/v1/users/${member.user.id}/tasks`, reader.key, 'tasks:write', {
        title: 'x',
      });
      await denied('GET', `/api/v1/orgs/${orgId}/tasks`, tasker.key, 'tasks:read');

      expect((await api(a, 'GET', messages, { token: reader.key })).status).toBe(200);
      expect(
        (await api(a, 'GET', `/api/v1/orgs/${orgId}/users`, { token: tasker.key })).status,
      ).toBe(200);
      const task = await api(a, 'POST', `/api/v1/users/${member.user.id}/tasks`, {
        token: tasker.key,
        body: { title: 'rotate certificates' },
      });
      expect(task.status).toBe(201);
      expect(task.body).toMatchObject({ created_by: null, user_id: member.user.id });
      expect(
        (await api(a, 'GET', `/api/v1/orgs/${orgId}/tasks`, { token: reader.key })).status,
      ).toBe(200);
      const removed = await api(a, 'DELETE', `/api/v1/tasks/${task.body.id}`, {
        token: tasker.key,
      });
      expect(removed.status).toBe(204);

      // Routes no scope opens: users' own business, DMs, groups' membership, org admin.
      for (const [method, path, body] of [
        ['GET', '/api/v1/auth/me', undefined],
        ['GET', '/api/v1/notifications', undefined],
        [
          'POST',
          '/api/v1/users',
          { org_id: orgId, username: 'x', email: 'x@x.test', password: 'p' },
        ],
        ['DELETE', `/api/v1/users/${member.user.id}`, undefined],
        ['POST', `/api/v1/orgs/${orgId}/groups`, { id: 'bots', name: 'bots' }],
        ['PUT', `/api/v1/orgs/${orgId}/groups/general/read`, { seq: 1 }],
        ['GET', `/api/v1/orgs/${orgId}/dms`, undefined],
      ] as const) {
        const res = await api(a, method, path, { token: reader.key, ...(body && { body }) });
        expect(res.status, `${method} ${path}`).toBe(403);
      }
    });

    it('reaches the org’s public groups, or exactly the groups it is limited to; no other org', async () => {
      const open_ = await createKey({
        name: 'public',
        scopes: ['messages:read', 'messages:write'],
      });
      const limited = await createKey({
        name: 'limited',
        scopes: ['messages:read', 'messages:write'],
        groups: ['secret'],
      });
      const read = (key: string, group: string, org = orgId) =>
        api(a, 'GET', `/api/v1/orgs/${org}/groups/${group}/messages`, { token: key });
      expect((await read(open_.key, 'general')).status).toBe(200);
      expect((await read(open_.key, 'secret')).status).toBe(404);
      expect((await read(limited.key, 'secret')).status).toBe(200);
      expect((await read(limited.key, 'general')).status).toBe(404);
      expect((await post(a, limited.key, 'general')).status).toBe(404);
      expect((await post(a, limited.key, 'secret')).status).toBe(200);

      const list = async (key: string) =>
        (
          await api<Array<{ id: string }>>(a, 'GET', `/api/v1/orgs/${orgId}/groups`, { token: key })
        ).body.map((g) => g.id);
      expect((await list(open_.key)).sort()).toEqual(['general', 'random']);
      expect(await list(limited.key)).toEqual(['secret']);

      // Another org's routes: not there (404), whatever the scopes.
      expect((await read(open_.key, 'general', otherOrg)).status).toBe(404);
      expect((await api(a, 'GET', `/api/v1/orgs/${otherOrg}`, { token: open_.key })).status).toBe(
        404,
      );
      const theirs = await api(a, 'POST', `/api/v1/orgs/${otherOrg}/groups/general/broadcast`, {
        token: open_.key,
        body: { content: 'x' },
      });
      expect(theirs.status).toBe(404);
      expect((await api(a, 'GET', '/api/v1/orgs', { token: open_.key })).body).toEqual([
        expect.objectContaining({ id: orgId }),
      ]);
    });

    it('opens the group socket with messages:read and messages:write only, capped like a user; never /ws or DMs', async () => {
      const both = await createKey({ name: 'sock', scopes: ['messages:read', 'messages:write'] });
      const readOnly = await createKey({ name: 'ro', scopes: ['messages:read'] });
      const s = await connect(b, orgId, 'general', both.key);
      open.push(s);
      s.send({ content: 'from a socket', client_msg_id: 'k-1' });
      const echo = await s.next((f) => f.type === 'message' && f['client_msg_id'] === 'k-1');
      expect(echo).toMatchObject({ user_id: null, username: 'sock', content: 'from a socket' });

      const ro = await refusal(connect(b, orgId, 'general', readOnly.key));
      expect(ro.status).toBe(403);
      expect(JSON.stringify(ro.body)).toContain('messages:write');
      expect((await refusal(connect(b, orgId, 'secret', both.key))).status).toBe(404);
      expect((await refusal(connect(b, otherOrg, 'general', both.key))).status).toBe(404);
      const bogus = `ohk_${'A'.repeat(43)}`;
      expect((await refusal(connect(b, orgId, 'general', bogus))).status).toBe(401);
      expect((await refusedWith(openWorkspace(b, both.key))).status).toBe(403);

      // The per-user socket cap holds for a key too (3 here: one open above, two more, then 429).
      for (let i = 0; i < 2; i++) open.push(await connect(a, orgId, 'general', both.key));
      const over = await refusal(connect(b, orgId, 'general', both.key));
      expect(over.status).toBe(429);
      expect(JSON.stringify(over.body)).toContain('MAX_SOCKETS_PER_USER');
    });

    it('revoked on every node within 1 s, its sockets closed; unknown and revoked keys are 401', async () => {
      const key = await createKey({
        name: 'short-lived',
        scopes: ['messages:read', 'messages:write'],
      });
      // Node B has it cached (memory) and a socket open with it; the revocation is made on A.
      expect((await post(b, key.key)).status).toBe(200);
      const socket = await connect(b, orgId, 'general', key.key);
      open.push(socket);
      const started = Date.now();
      const del = await api(a, 'DELETE', `/api/v1/orgs/${orgId}/api-keys/${key.id}`, {
        token: admin.token,
      });
      expect(del.status).toBe(204);
      await pollUntil(
        async () => (await post(b, key.key)).status,
        (s) => s === 401,
        { timeoutMs: WITHIN_MS, what: 'the revoked key to be refused on node B' },
      );
      const tookMs = Date.now() - started;
      expect(tookMs).toBeLessThan(WITHIN_MS);
      // Its open socket closes as an ended session's does (4003), within the same second.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the key’s socket is still open')), WITHIN_MS);
      });
      const closed = await Promise.race([socket.closed, late]).finally(() => clearTimeout(timer));
      expect(closed.code).toBe(4003);
      console.info(`API key revoked on A, refused on B after ${tookMs} ms (DELETE included)`);
      expect((await post(a, key.key)).status).toBe(401);
      expect((await refusal(connect(b, orgId, 'general', key.key))).status).toBe(401);
      expect((await row(key.id)).revokedAt).toBeInstanceOf(Date);

      const list = await api<{ api_keys: Array<{ id: string }> }>(
        a,
        'GET',
        `/api/v1/orgs/${orgId}/api-keys`,
        { token: admin.token },
      );
      expect(list.body.api_keys.map((k) => k.id)).not.toContain(key.id);
      // Again, another org's admin, an unknown or malformed id: 404.
      const again = (path: string, token = admin.token) => api(a, 'DELETE', path, { token });
      expect((await again(`/api/v1/orgs/${orgId}/api-keys/${key.id}`)).status).toBe(404);
      const live = await createKey({ name: 'keep', scopes: ['messages:write'] });
      expect(
        (await again(`/api/v1/orgs/${orgId}/api-keys/${live.id}`, otherAdmin.token)).status,
      ).toBe(404);
      expect((await again(`/api/v1/orgs/${orgId}/api-keys/not-a-uuid`)).status).toBe(404);
      expect((await post(b, live.key)).status).toBe(200);

      const unknown = await post(b, `ohk_${'x'.repeat(43)}`);
      expect(unknown.status).toBe(401);
      expect((await post(b, 'ohk_short')).status).toBe(401);
    });

    it('last_used_at is written in batches, a few seconds after use at most', async () => {
      const key = await createKey({ name: 'used', scopes: ['messages:read'] });
      expect((await row(key.id)).lastUsedAt).toBeNull();
      const before = Date.now();
      for (let i = 0; i < 5; i++) {
        const res = await api(b, 'GET', `/api/v1/orgs/${orgId}/groups/general/messages`, {
          token: key.key,
        });
        expect(res.status).toBe(200);
      }
      const used = await pollUntil(
        async () => (await row(key.id)).lastUsedAt,
        (t) => t !== null,
        { timeoutMs: 5000, what: 'last_used_at to be written' },
      );
      expect(used!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      const list = await api<{ api_keys: Created[] }>(a, 'GET', `/api/v1/orgs/${orgId}/api-keys`, {
        token: admin.token,
      });
      // A later flush (the node's next interval) may have moved it on since.
      const listed = list.body.api_keys.find((k) => k.id === key.id)?.last_used_at;
      expect(Date.parse(listed!)).toBeGreaterThanOrEqual(used!.getTime());
    });
  },
);

describe('API keys: last_used_at at shutdown', { timeout: 120_000 }, () => {
  it('is written once at shutdown, not per request', async () => {
    const where = await freshDatabase();
    try {
      // A flush interval no test waits out: only the shutdown writes.
      const first = await startApp({ reuse: where, keepData: true, apiKeyFlushMs: 3_600_000 });
      const orgId = (await createOrg(first)).id;
      const g = await api(first, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: first.operatorToken,
        body: { id: 'general', name: 'General' },
      });
      expect(g.status).toBe(201);
      const created = await api<Created>(first, 'POST', `/api/v1/orgs/${orgId}/api-keys`, {
        token: first.operatorToken,
        body: { name: 'nightly', scopes: ['messages:read'] },
      });
      expect(created.status).toBe(201);
      expect(created.body.created_at).toBeTruthy();
      for (let i = 0; i < 3; i++) {
        const res = await api(first, 'GET', `/api/v1/orgs/${orgId}/groups/general/messages`, {
          token: created.body.key,
        });
        expect(res.status).toBe(200);
      }
      const read = async (t: TestApp) => {
        const [r] = await t.app.database.db
          .select()
          .from(apiKeys)
          .where(eq(apiKeys.id, created.body.id));
        return r!;
      };
      expect((await read(first)).lastUsedAt).toBeNull();
      await first.close();
      const second = await startApp({ reuse: where, keepData: true });
      try {
        expect((await read(second)).lastUsedAt).toBeInstanceOf(Date);
      } finally {
        await second.close();
      }
    } finally {
      await dropDatabase(where);
    }
  });
});
