import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listByRelevance } from '../../src/modules/tasks/tasks.relevance.js';
import { rowsOf } from '../../src/shared/rows.js';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';

/**
 * Relevance is ranked in tiers of the newest matches (tasks.relevance.ts). With a tier of 3,
 * a handful of tasks spans several tiers and both phases (full-text, then typo matches).
 */
describe('task search by relevance, in tiers', () => {
  const TIER = 3;
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;

  const list = (limit: number, cursor?: string) =>
    listByRelevance(t.app.database.db, orgId, {}, 'deploy', limit, cursor, TIER);

  async function all(limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await list(limit, cursor);
      expect(page.tasks.length).toBeLessThanOrEqual(limit);
      ids.push(...page.tasks.map((x) => x.id));
      if (!page.nextCursor) return ids;
      cursor = page.nextCursor;
    }
    throw new Error('did not end');
  }

  /** The order the tiers promise, computed independently: ranks from SQL, tiers in JS. */
  async function expected(): Promise<string[]> {
    const exact = rowsOf<{ id: string; rank: number; created_at: string }>(
      await t.app.database.db.execute(sql`
        select id::text, ts_rank(search, websearch_to_tsquery('english', 'deploy'))::float8 as rank,
               created_at::text
        from tasks where org_id = ${orgId} and search @@ websearch_to_tsquery('english', 'deploy')`),
    );
    const typo = rowsOf<{ id: string; rank: number; created_at: string }>(
      await t.app.database.db.execute(sql`
        select id::text, word_similarity('deploy', title)::float8 as rank, created_at::text
        from tasks where org_id = ${orgId} and title %> 'deploy'
          and not search @@ websearch_to_tsquery('english', 'deploy')`),
    );
    const tiered = (rows: typeof exact) => {
      const byAge = [...rows].sort(
        (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || (b.id < a.id ? -1 : 1),
      );
      const out: string[] = [];
      for (let i = 0; i < byAge.length; i += TIER) {
        const tier = byAge.slice(i, i + TIER);
        // Relevance, then newest first on ties.
        tier.sort(
          (a, b) =>
            Number(b.rank) - Number(a.rank) ||
            Date.parse(b.created_at) - Date.parse(a.created_at) ||
            (b.id < a.id ? -1 : 1),
        );
        out.push(...tier.map((r) => r.id));
      }
      return out;
    };
    return [...tiered(exact), ...tiered(typo)];
  }

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    const titles = [
      'Deploy the API',
      'Notes',
      'Deploy deploy deploy',
      'Budget',
      'Deployment plan',
      'Deplyo the website', // a typo: only the trigram match finds it
      'Deploy docs',
      'Review the deploy',
      'Deploy again, deploy well',
      'Something else',
      'Deploi checklist', // a typo
      'Deploy',
    ];
    for (const [i, title] of titles.entries()) {
      const res = await api(t, 'POST', `/api/v1/users/${alice.user.id}/tasks`, {
        token: alice.token,
        body: { title, description: i % 3 === 0 ? 'we deploy on fridays' : '' },
      });
      expect(res.status).toBe(201);
    }
    // Another org's matching task never shows up.
    const other = (await createOrg(t)).id;
    const stranger = await createUser(t, other);
    await api(t, 'POST', `/api/v1/users/${stranger.user.id}/tasks`, {
      token: stranger.token,
      body: { title: 'Deploy elsewhere' },
    });
  });
  afterAll(() => t.close());

  it('lists every match once: tiers of the newest matches by rank, typo matches last', async () => {
    const want = await expected();
    expect(want.length).toBe(10);
    for (const limit of [1, 2, 3, 4, 50]) expect(await all(limit), `limit ${limit}`).toEqual(want);
  });

  it('is stable while tasks are created between pages', async () => {
    const want = await expected();
    const first = await list(2);
    const res = await api(t, 'POST', `/api/v1/users/${alice.user.id}/tasks`, {
      token: alice.token,
      body: { title: 'Deploy the newest thing' },
    });
    expect(res.status).toBe(201);
    const ids = first.tasks.map((x) => x.id);
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await list(4, cursor);
      ids.push(...page.tasks.map((x) => x.id));
      cursor = page.nextCursor;
    }
    expect(ids).toEqual(want);
    expect(ids).not.toContain((res.body as { id: string }).id);
  });

  it('refuses a cursor it did not make, naming cursor', async () => {
    const page = await list(2);
    const tampered = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(page.nextCursor!, 'base64url').toString()),
        p: 7,
      }),
    ).toString('base64url');
    for (const bad of [tampered, 'x', Buffer.from('{"s":"-created_at"}').toString('base64url')]) {
      await expect(list(2, bad)).rejects.toMatchObject({ status: 400, message: /cursor/ });
    }
    const http = await api(t, 'GET', `/api/v1/orgs/${orgId}/tasks?q=deploy&cursor=${tampered}`, {
      token: alice.token,
    });
    expect(http.status).toBe(400);
    expect(http.body.error).toMatch(/cursor/);
  });
});
