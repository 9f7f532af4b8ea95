import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listOrgTasks,
  orgTasksQuery,
  type TaskFilters,
} from '../../src/modules/tasks/tasks.query.js';
import {
  listByRelevance,
  tierQuery,
  type Position,
} from '../../src/modules/tasks/tasks.relevance.js';
import type { TaskSort } from '../../src/protocol/tasks.js';
import { createOrg, createUser, startApp, type TestApp } from '../helpers/app.js';

const SIZE = 100_000;

/**
 * Seeds one org with 100,000 tasks in one statement and checks with EXPLAIN that every
 * filter/sort shape and search of the org list uses an index (no sequential scan of tasks).
 * PostgreSQL only: the planner of the embedded database is the same, but seeding it at this
 * size would take minutes.
 */
describe.runIf(process.env['DATABASE_URL'])('org task list at 100,000 tasks', () => {
  let t: TestApp;
  let pool: pg.Pool;
  let orgId: string;
  let users: string[];

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    users = [];
    for (let i = 0; i < 4; i++) users.push((await createUser(t, orgId)).user.id);
    // A second org, so that org scoping is part of every plan.
    const other = (await createOrg(t)).id;
    const stranger = (await createUser(t, other)).user.id;
    pool = new pg.Pool({ connectionString: t.databaseUrl!, max: 2 });
    const seed = `
      insert into tasks (org_id, user_id, created_by, title, description, status, priority,
                         priority_rank, due_date, created_at, updated_at)
      select $1, ($2::uuid[])[1 + g % 4], ($2::uuid[])[1 + (g / 4) % 4],
             'Task ' || g || ' ' || (array['deploy','report','budget','review','design','migrate'])[1 + g % 6]
               || case when g % 500 = 0 then ' kubernetes' else '' end || ' w' || (g % 1000),
             'notes about ' || (array['invoice','customer','release','security'])[1 + g % 4] || ' x' || (g % 997),
             (array['pending','in_progress','completed','cancelled'])[1 + (g / 7) % 4],
             (array['low','medium','high','urgent'])[1 + (g / 3) % 4],
             1 + (g / 3) % 4,
             case when g % 5 = 0 then null else now() + ((g % 2000) - 1000) * interval '1 hour' end,
             now() - g * interval '1 second',
             now() - (g % 7000) * interval '1 second'
      from generate_series(1, $3::int) g`;
    await pool.query(seed, [orgId, users, SIZE]);
    await pool.query(seed, [other, [stranger, stranger, stranger, stranger], 2000]);
    await pool.query('analyze tasks');
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await t?.close();
  });

  const dialect = new PgDialect();
  const explain = async (query: { sql: string; params: unknown[] }) => {
    const res = await pool.query<{ 'QUERY PLAN': string }>(`explain ${query.sql}`, query.params);
    return res.rows.map((r) => r['QUERY PLAN']).join('\n');
  };
  const start: Position = { p: 0, t: null, k: null, c: null, i: null };
  const tierPlan = (f: TaskFilters, pos: Position) =>
    explain(dialect.sqlToQuery(tierQuery(orgId, f, f.q!, pos, 51)));

  /** The plan of a listing's page: a search without a sort is one relevance tier. */
  async function plan(f: TaskFilters, sort?: TaskSort, cursor?: string): Promise<string> {
    if (f.q && sort === undefined) {
      const pos = cursor
        ? (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Position)
        : start;
      return tierPlan(f, pos);
    }
    return explain(orgTasksQuery(t.app.database.db, orgId, f, sort, 50, cursor).query.toSQL());
  }

  const hour = 3_600_000;
  const shapes: Array<[string, TaskFilters]> = [
    ['no filter', {}],
    ['status', { statuses: ['pending'] }],
    ['status list', { statuses: ['pending', 'in_progress'] }],
    ['priority list', { priorities: ['urgent', 'high'] }],
    ['user', { userId: '' }],
    ['creator', { createdBy: '' }],
    [
      'due window',
      { dueAfter: new Date(Date.now() - hour), dueBefore: new Date(Date.now() + 48 * hour) },
    ],
    ['overdue', { overdue: true }],
    ['combined', { statuses: ['pending'], priorities: ['urgent'], userId: '', overdue: true }],
    ['search', { q: 'w123' }],
    ['search with operators', { q: '"w123" -deploy or w124' }],
    ['search with typo', { q: 'kubernetse' }],
  ];
  const sorts: Array<TaskSort | undefined> = [
    undefined,
    'due_date',
    '-due_date',
    'priority',
    '-priority',
    'created_at',
    'updated_at',
    '-updated_at',
  ];

  it('uses an index for every filter and sort shape, first page and later pages', async () => {
    const started = Date.now();
    for (const [name, shape] of shapes) {
      const f = { ...shape };
      if (f.userId === '') f.userId = users[1]!;
      if (f.createdBy === '') f.createdBy = users[2]!;
      for (const sort of sorts) {
        const first = await plan(f, sort);
        expect(first, `${name} / ${sort ?? 'default'}`).not.toMatch(/Seq Scan on tasks/);
        const page = await listOrgTasks(t.app.database.db, orgId, f, sort, 50, undefined);
        if (page.nextCursor) {
          const next = await plan(f, sort, page.nextCursor);
          expect(next, `${name} / ${sort ?? 'default'} / page 2`).not.toMatch(/Seq Scan on tasks/);
        }
      }
    }
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('search plans use the GIN indexes', async () => {
    expect(await plan({ q: 'w123' })).toMatch(/tasks_search_idx/);
    // With an explicit sort the planner may instead walk the sort's index and filter, by its
    // estimate of the typo operator's selectivity (PostgreSQL does, PGlite's smaller sample
    // does not); either way an index, never a scan of every task.
    const sorted = await plan({ q: 'kubernetse' }, 'created_at');
    expect(sorted).toMatch(/tasks_title_trgm_idx|tasks_org_created_idx/);
    expect(sorted).not.toMatch(/Seq Scan on tasks/);
    // Read from the trigram index in every ANALYZE, not by the luck of its sample: the title
    // histogram is 1,000 entries (migration 0004), so a rare word's estimate is stable.
    const target = await pool.query<{ t: number }>(
      `select attstattarget as t from pg_attribute
       where attrelid = 'tasks'::regclass and attname = 'title'`,
    );
    expect(Number(target.rows[0]?.t)).toBe(1000);
    expect(await tierPlan({ q: 'kubernetse' }, { ...start, p: 1 })).toMatch(/tasks_title_trgm_idx/);
    const page = await listOrgTasks(
      t.app.database.db,
      orgId,
      { q: 'w123' },
      undefined,
      200,
      undefined,
    );
    expect(page.tasks).toHaveLength(100);
  });

  it('a search by relevance ranks one bounded tier, whatever the word', async () => {
    // A common word (a sixth of all tasks) walks the newest matches along the created_at
    // index and stops after one tier; a rare one is read from the GIN index.
    const common = await plan({ q: 'deploy' });
    expect(common).toMatch(/tasks_org_created_idx/);
    expect(common).not.toMatch(/Seq Scan on tasks/);
    expect(await tierPlan({ q: 'kubernetse' }, { ...start, p: 1 })).toMatch(/tasks_title_trgm_idx/);
    // Later tiers too.
    let cursor: string | undefined;
    for (let page = 0; page < 12; page++) {
      const res = await listByRelevance(t.app.database.db, orgId, {}, 'deploy', 50, cursor);
      expect(res.tasks).toHaveLength(50);
      cursor = res.nextCursor ?? undefined;
    }
    const later = JSON.parse(Buffer.from(cursor!, 'base64url').toString()) as Position;
    expect(later.t?.[2]).toBe('lt');
    const next = await plan({ q: 'deploy' }, undefined, cursor);
    expect(next).toMatch(/tasks_org_created_idx/);
    expect(next).not.toMatch(/Seq Scan on tasks/);
  });
});
