import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { hashPassword } from '../../src/modules/auth/passwords.js';
import { insertOrg } from '../../src/modules/orgs/orgs.repo.js';
import { insertUser } from '../../src/modules/users/users.repo.js';

/**
 * An OrgHub node inside the bench process, for the benches that seed rows with one
 * `INSERT … SELECT generate_series` (through REST that would take minutes) and then time
 * HTTP requests against it: one org, `users` members, a token for the first.
 * PGlite unless a scratch PostgreSQL database is named.
 */
export async function withBenchNode<T>(
  opts: { databaseUrl?: string | undefined; users?: number; tag: string },
  body: (node: {
    app: Awaited<ReturnType<typeof buildApp>>;
    base: string;
    orgId: string;
    userIds: string[];
    token: string;
  }) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `orghub-${opts.tag}-`));
  const app = await buildApp({
    config: {
      ...loadConfig({}),
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      dataDir,
      databaseUrl: opts.databaseUrl,
      adminToken: `${opts.tag}-operator-token-0123456789`,
      jwtSecret: `${opts.tag}-jwt-secret-0123456789-0123456789`,
      // Seeding is one long statement.
      dbStatementTimeoutMs: 600_000,
    },
    reminderIntervalMs: 60_000,
  });
  try {
    const base = await app.listen();
    const db = app.database.db;
    const orgId = `bench-${Date.now().toString(36)}`;
    await insertOrg(db, { id: orgId, name: 'Bench' });
    const passwordHash = await hashPassword('bench-password');
    const users = [];
    for (let i = 0; i < (opts.users ?? 4); i++)
      users.push(
        await insertUser(db, orgId, {
          username: `bench${i}`,
          email: `bench${i}@bench.test`,
          fullName: '',
          passwordHash,
          role: 'member',
        }),
      );
    const { token } = await app.tokens.issueAccess(users[0]!);
    return await body({ app, base, orgId, userIds: users.map((u) => u.id), token });
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** p50 and p99 (ms) of `runs` sequential calls of `once` (each may time several requests). */
export async function latencies(
  runs: number,
  once: (times: number[]) => Promise<void>,
): Promise<{ p50: number; p99: number; n: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) await once(times);
  times.sort((a, b) => a - b);
  return {
    p50: +percentile(times, 50).toFixed(2),
    p99: +percentile(times, 99).toFixed(2),
    n: times.length,
  };
}

/** Times one GET with a bearer token; throws on anything but 200. */
export async function timedGet(
  url: string,
  token: string,
  times: number[],
): Promise<{ next_cursor?: string | null }> {
  const s = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { next_cursor?: string | null };
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${JSON.stringify(body)}`);
  times.push(performance.now() - s);
  return body;
}

/** p99 (ms) of `runs` sequential runs of one statement straight to the database (a baseline). */
export async function statementP99(runs: number, run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await run();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return +percentile(times, 99).toFixed(2);
}
