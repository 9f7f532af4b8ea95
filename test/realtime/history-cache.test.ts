import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterName } from '../../src/realtime/backend.js';
import { channels, redisNamespace } from '../../src/realtime/channels.js';
import { HistoryCache } from '../../src/realtime/history-cache.js';
import { openRedis, parseRedisUrl, closeRedis } from '../../src/realtime/redis-connection.js';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { redisSuiteSkip } from '../helpers/requires.js';
import { connect, type TestSocket } from '../messaging/socket-client.js';

let redis: PrivateRedis;
const noRedis = redisSuiteSkip('Redis history cache (test/realtime/history-cache.test.ts)');
beforeAll(async () => {
  if (!noRedis) redis = await startPrivateRedis();
});
afterAll(() => redis?.stop());

describe.skipIf(noRedis)('HistoryCache', () => {
  it('answers only a hole-free run from afterSeq + 1 within retention, trimmed to the newest', async () => {
    const client = await openRedis(parseRedisUrl(redis.url), { offlineQueue: false, name: 't' });
    const ns = redisNamespace('history-unit');
    const cache = new HistoryCache({ client, namespace: ns, retentionMs: 60_000, maxPerGroup: 5 });
    const ch = channels.group('acme', 'eng');
    for (const seq of [1, 2, 3, 5, 6, 7, 8]) await cache.append(ch, seq, `{"seq":${seq}}`);
    await cache.append(channels.org('acme'), 9, 'not a group message');
    // Trimmed to 5 entries: 3, 5, 6, 7, 8 (4 never came).
    expect(await cache.read('acme', 'eng', 4, 10).then((f) => f?.map((x) => x.seq))).toEqual([
      5, 6, 7, 8,
    ]);
    expect(await cache.read('acme', 'eng', 5, 2).then((f) => f?.map((x) => x.text))).toEqual([
      '{"seq":6}',
      '{"seq":7}',
    ]);
    expect(await cache.read('acme', 'eng', 2, 10)).toBeNull(); // 3 then a hole at 4
    expect(await cache.read('acme', 'eng', 0, 10)).toBeNull(); // trimmed away
    expect(await cache.read('acme', 'eng', 8, 10)).toEqual([]);
    const stale = new HistoryCache({ client, namespace: ns, retentionMs: 1, maxPerGroup: 5 });
    await new Promise((r) => setTimeout(r, 5)); // entries must be older than the 1 ms window
    expect(await stale.read('acme', 'eng', 4, 10)).toBeNull();
    await closeRedis(client);
  });
});

describe.skipIf(noRedis)('resumes served from the history cache', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  const open: TestSocket[] = [];
  const reads = async () => {
    const res = await api<string>(t, 'GET', '/metrics');
    const n = (source: string) =>
      Number(
        new RegExp(`orghub_history_reads_total\\{source="${source}"\\} (\\d+)`).exec(
          res.body,
        )?.[1] ?? 0,
      );
    return { cache: n('cache'), database: n('database') };
  };
  const resume = async (since: number) => {
    const s = await connect(t, orgId, 'general', alice.token, { query: { since_seq: since } });
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await startApp({ config: { redisUrl: redis.url, wsRateLimit: 10_000 } });
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId, { username: 'alice' });
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'general', name: 'General' },
    });
    const sender = await connect(t, orgId, 'general', alice.token);
    for (let i = 1; i <= 30; i++) sender.send({ content: `m${i}` });
    await sender.until((fs) => fs.filter((f) => f.type === 'message').length === 30);
    await sender.close();
  });
  afterAll(async () => {
    for (const s of open) s.ws.terminate();
    await t.close();
  });

  const expectReplay = async (since: number, last: number) => {
    const s = await resume(since);
    await s.until((fs) => fs.some((f) => f.type === 'message' && f['seq'] === last));
    expect(s.messages().map((m) => m.seq)).toEqual(
      Array.from({ length: last - since }, (_, i) => since + 1 + i),
    );
    expect(s.messages().map((m) => m.content)).toEqual(
      Array.from({ length: last - since }, (_, i) => `m${since + 1 + i}`),
    );
    await s.close();
  };

  it('serves a recent since_seq resume from Redis, identical to the store', async () => {
    const before = await reads();
    await expectReplay(10, 30);
    const after = await reads();
    expect(after.cache).toBeGreaterThan(before.cache);
    expect(after.database).toBe(before.database);
  });

  it('falls back to the store for a hole, a stale tail and a flushed cache', async () => {
    const direct = new Redis(redis.url);
    const [historyKey] = (await direct.keys('*:history')).filter((k) => k.includes(orgId));
    expect(historyKey).toBeDefined();
    // A hole (as after an append lost while Redis was unreachable).
    await direct.zremrangebyscore(historyKey!, 20, 20);
    let before = await reads();
    await expectReplay(15, 30);
    expect((await reads()).database).toBeGreaterThan(before.database);

    // A message in the store that never reached the cache: the newest seq says the cache is behind.
    const db = t.app.database.db;
    await db.execute(sql`
      insert into messages (id, org_id, group_id, seq, user_id, username, content, created_at)
      values (gen_random_uuid(), ${orgId}, 'general', 31, ${alice.user.id}, 'alice', 'm31', now())`);
    await db.execute(
      sql`update groups set last_seq = 31 where org_id = ${orgId} and id = 'general'`,
    );
    before = await reads();
    await expectReplay(25, 31);
    expect((await reads()).database).toBeGreaterThan(before.database);

    await direct.flushall();
    await expectReplay(5, 31);

    // Left over from an earlier life of the database (a restore): ahead of the store.
    const client = await openRedis(parseRedisUrl(redis.url), { offlineQueue: false, name: 't' });
    const cache = new HistoryCache({
      client,
      namespace: redisNamespace(clusterName(t.databaseUrl, t.dataDir)),
      retentionMs: 60_000,
    });
    const ch = channels.group(orgId, 'general');
    for (const seq of [30, 31, 32]) {
      await cache.append(ch, seq, JSON.stringify({ type: 'message', seq, content: 'ghost' }));
    }
    before = await reads();
    await expectReplay(29, 31);
    expect((await reads()).database).toBeGreaterThan(before.database);
    await closeRedis(client);
    await direct.quit();
  });
});
