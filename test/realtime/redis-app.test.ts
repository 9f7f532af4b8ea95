import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { api, startApp, testConfig, type TestApp } from '../helpers/app.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { redisSuiteSkip } from '../helpers/requires.js';

const noRedis = redisSuiteSkip('Redis app (test/realtime/redis-app.test.ts)');
import { eventually } from '../helpers/wait.js';

describe.skipIf(noRedis)('an app on Redis', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await startApp({ config: { redisUrl: redis.url } });
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  it('reports Redis in /health and /api/v1/health, degrades while it is down, recovers by itself', async () => {
    expect((await api(t, 'GET', '/api/v1/health')).body).toEqual({
      status: 'ok',
      checks: { database: 'ok', broker: 'ok' },
    });

    await redis.kill();
    const down = await api(t, 'GET', '/api/v1/health');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      checks: { database: 'ok', broker: expect.stringMatching(/^down/) },
    });
    const plain = await api(t, 'GET', '/health');
    expect(plain.status).toBe(503);
    expect(plain.body).toMatch(/broker/);
    // Everything that does not need Redis keeps working meanwhile.
    expect((await api(t, 'GET', '/api/v1/orgs', { token: t.operatorToken })).status).toBe(200);

    await redis.start();
    await eventually(async () => {
      const res = await api(t, 'GET', '/api/v1/health');
      if (res.status !== 200) throw new Error(JSON.stringify(res.body));
    });
    expect((await api(t, 'GET', '/health')).body).toBe('OK');
  });
});

describe.skipIf(noRedis)('Redis unreachable at start', () => {
  it('buildApp rejects with one line naming REDIS_URL, and releases what it took', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orghub-noredis-'));
    try {
      const dead = await startPrivateRedis();
      await dead.stop();
      const config = testConfig({ dataDir, databaseUrl: undefined }, { redisUrl: dead.url });
      const err = await buildApp({ config }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(
        /^cannot connect to Redis given by REDIS_URL \(127\.0\.0\.1:\d+\): ECONNREFUSED$/,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('the server process exits 1 with that line on stderr', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orghub-noredis-'));
    const dead = await startPrivateRedis();
    await dead.stop();
    const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: {
        ...process.env,
        DATABASE_URL: '',
        REDIS_URL: dead.url,
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^orghub: cannot start: cannot connect to Redis given by REDIS_URL \(127\.0\.0\.1:\d+\): ECONNREFUSED$/,
      ),
    ]);
  });
});
