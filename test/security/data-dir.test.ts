import { chmod, cp, mkdtemp, readdir, lstat, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { api, startApp } from '../helpers/app.js';
import { exitWithin, runServer } from '../foundation/process.js';
import { cliEnv, runCli } from '../cli/run-cli.js';

/**
 * DATA_DIR holds the JWT secret, the operator token and (embedded) the database, whose WAL
 * holds password hashes and message text: it is the server's user's alone, 0700 / 0600,
 * whatever umask the server was started with.
 */
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** Every entry under `dir` whose mode is not 0700 (directories) or 0600 (files). */
async function notPrivate(dir: string): Promise<string[]> {
  const bad: string[] = [];
  const walk = async (p: string) => {
    const st = await lstat(p).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) bad.push(`${(st.mode & 0o777).toString(8)} ${p}`);
    if (st.isDirectory())
      for (const n of await readdir(p).catch(() => [])) await walk(path.join(p, n));
  };
  await walk(dir);
  return bad;
}

async function files(dir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (p: string) => {
    for (const e of await readdir(p, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(p, e.name);
      if (e.isDirectory()) await walk(full);
      else out.add(path.relative(dir, full));
    }
  };
  await walk(dir);
  return out;
}

/** Loosens every mode, as an older server (or a umask of 000) left them. */
async function loosen(dir: string) {
  const walk = async (p: string) => {
    const st = await lstat(p);
    await chmod(p, st.isDirectory() ? 0o777 : 0o666);
    if (st.isDirectory()) for (const n of await readdir(p)) await walk(path.join(p, n));
  };
  await walk(dir);
}

/** Runs `fn` under a permissive umask (children inherit it), then restores the old one. */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

describe('DATA_DIR is private (0700 / 0600)', () => {
  it('an embedded app narrows what it finds at start, and files made while it runs stay private', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'orghub-private-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    await cp(inject('pgliteTemplateDir'), dataDir, { recursive: true });
    await loosen(dataDir);
    expect((await notPrivate(dataDir)).length).toBeGreaterThan(100);

    await withUmask(0, async () => {
      // Embedded whatever the suite's backend: DATA_DIR matters only there.
      const t = await startApp({
        reuse: { dataDir, databaseUrl: undefined },
        keepData: true,
        config: { jwtSecret: undefined, adminToken: undefined },
      });
      try {
        expect(await notPrivate(dataDir)).toEqual([]);
        const before = await files(dataDir);
        // New relations, their free-space and visibility maps, and more WAL: files PostgreSQL
        // creates only now, under a umask of 000.
        await t.app.database.db.execute(sql`create table trust_scratch (x text)`);
        await t.app.database.db.execute(
          sql`insert into trust_scratch select repeat('x', 500) from generate_series(1, 3000)`,
        );
        await t.app.database.db.execute(sql`vacuum trust_scratch`);
        expect((await api(t, 'GET', '/health')).status).toBe(200);
        const created = [...(await files(dataDir))].filter((f) => !before.has(f));
        expect(created.length).toBeGreaterThan(0);
        expect(await notPrivate(dataDir)).toEqual([]);
      } finally {
        await t.close();
      }
    });
    // Including what the database wrote as it closed.
    expect(await notPrivate(dataDir)).toEqual([]);
  });

  it('the server started with umask 000 creates DATA_DIR and every file in it private', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'orghub-private-srv-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    await chmod(root, 0o755);
    const dataDir = path.join(root, 'data'); // does not exist yet: the server makes it
    const s = await withUmask(0, async () =>
      runServer({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
    );
    cleanups.push(async () => s.child.kill('SIGKILL'));
    const [, base] = await s.waitFor(/Web app: +(http:\/\/127\.0\.0\.1:\d+)\/\n/, 90_000);
    expect(await notPrivate(dataDir)).toEqual([]);
    const atStart = await files(dataDir);
    expect(atStart.has('secrets.json')).toBe(true);

    // Work that writes: an org, its admin, messages.
    const signup = await fetch(`${base}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        org_id: 'private-org',
        org_name: 'Private',
        username: 'owner',
        email: 'owner@example.test',
        password: 'a-long-and-unusual-passphrase',
      }),
    });
    expect(signup.status).toBe(201);
    const { access_token: token } = (await signup.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const g = await fetch(`${base}/api/v1/orgs/private-org/groups`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ id: 'general', name: 'General' }),
    });
    expect(g.status).toBe(201);
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${base}/api/v1/orgs/private-org/groups/general/broadcast`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ content: `secret message ${i}` }),
      });
      expect(r.status).toBe(200);
    }
    expect(await notPrivate(dataDir)).toEqual([]);

    s.child.kill('SIGTERM');
    expect(await exitWithin(s, 30_000), s.stderr()).toBe(0);
    expect(await notPrivate(dataDir)).toEqual([]);
  }, 150_000);

  it('orghub migrate started with umask 000 creates the embedded database private', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'orghub-private-cli-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const dataDir = path.join(root, 'data');
    const r = await withUmask(0, () =>
      runCli(['migrate'], cliEnv({ dataDir, databaseUrl: undefined })),
    );
    expect(r.code, r.stderr).toBe(0);
    expect((await files(dataDir)).has('pg/PG_VERSION')).toBe(true);
    expect(await notPrivate(dataDir)).toEqual([]);
  }, 120_000);
});
