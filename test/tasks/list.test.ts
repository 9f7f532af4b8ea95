import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';

interface T {
  id: string;
  title: string;
  status: string;
  priority: string;
  user_id: string;
  created_by: string | null;
  due_date: string | null;
  created_at: string;
  updated_at: string;
}
const RANK: Record<string, number> = { low: 1, medium: 2, high: 3, urgent: 4 };
const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe('GET /api/v1/orgs/{orgId}/tasks', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let outsider: Fixture;
  const all: T[] = [];

  const list = (query: string, token = alice.token, org = orgId) =>
    api<{ tasks: T[]; next_cursor: string | null }>(
      t,
      'GET',
      `/api/v1/orgs/${org}/tasks?${query}`,
      {
        token,
      },
    );
  const titles = (ts: T[]) => ts.map((x) => x.title).sort();

  /** Follows next_cursor to the end. */
  async function everyPage(query: string, limit: number): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const res = await list(
        `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status, res.body as unknown as string).toBe(200);
      out.push(...res.body.tasks);
      cursor = res.body.next_cursor;
      if (!cursor) return out;
    }
    throw new Error('pagination did not end');
  }

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    outsider = await createUser(t, (await createOrg(t)).id);
    const specs: Array<[Fixture, Fixture, Record<string, unknown>]> = [
      [alice, alice, { title: 'a-pending-low-past', priority: 'low', due_date: hours(-5) }],
      [
        alice,
        bob,
        {
          title: 'b-progress-high-soon',
          status: 'in_progress',
          priority: 'high',
          due_date: hours(2),
        },
      ],
      [
        bob,
        alice,
        {
          title: 'c-done-urgent-past',
          status: 'completed',
          priority: 'urgent',
          due_date: hours(-1),
        },
      ],
      [bob, bob, { title: 'd-pending-medium-none' }],
      [
        alice,
        alice,
        {
          title: 'e-cancelled-low-later',
          status: 'cancelled',
          priority: 'low',
          due_date: hours(48),
        },
      ],
      [bob, alice, { title: 'f-pending-urgent-past', priority: 'urgent', due_date: hours(-30) }],
      [alice, bob, { title: 'g-progress-medium-none', status: 'in_progress' }],
      [bob, bob, { title: 'h-pending-high-later', priority: 'high', due_date: hours(10) }],
    ];
    for (const [creator, owner, body] of specs) {
      const res = await api<T>(t, 'POST', `/api/v1/users/${owner.user.id}/tasks`, {
        token: creator.token,
        body,
      });
      expect(res.status).toBe(201);
      all.push(res.body);
    }
  });
  afterAll(() => t.close());

  it('lists the org’s tasks newest first by default', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.body.tasks.map((x) => x.title)).toEqual([...all].reverse().map((x) => x.title));
    expect(res.body.next_cursor).toBeNull();
  });

  it('filters by status and priority lists, user, creator, due window and overdue', async () => {
    const cases: Array<[string, (x: T) => boolean]> = [
      ['status=pending', (x) => x.status === 'pending'],
      ['status=pending,in_progress', (x) => ['pending', 'in_progress'].includes(x.status)],
      ['priority=urgent,low', (x) => ['urgent', 'low'].includes(x.priority)],
      [`user_id=${bob.user.id}`, (x) => x.user_id === bob.user.id],
      [`created_by=${alice.user.id}`, (x) => x.created_by === alice.user.id],
      [`due_before=${encodeURIComponent(hours(0))}`, (x) => !!x.due_date && x.due_date < hours(0)],
      [`due_after=${encodeURIComponent(hours(0))}`, (x) => !!x.due_date && x.due_date >= hours(0)],
      [
        'overdue=true',
        (x) =>
          !!x.due_date && x.due_date < hours(0) && ['pending', 'in_progress'].includes(x.status),
      ],
      [
        `status=pending&priority=urgent&user_id=${alice.user.id}&overdue=true`,
        (x) => x.title === 'f-pending-urgent-past',
      ],
      [
        `due_after=${encodeURIComponent(hours(-2))}&due_before=${encodeURIComponent(hours(24))}&created_by=${bob.user.id}`,
        (x) => ['c-done-urgent-past', 'h-pending-high-later'].includes(x.title),
      ],
    ];
    for (const [query, pred] of cases) {
      const res = await list(query);
      expect(res.status, query).toBe(200);
      const expected = titles(all.filter(pred));
      expect(expected.length, query).toBeGreaterThan(0);
      expect(titles(res.body.tasks), query).toEqual(expected);
    }
  });

  it('sorts by every key (priority by rank) and pages through each sort without gaps or repeats', async () => {
    const cmpDue = (a: T, b: T, desc: boolean) => {
      // Ascending: no due date last; descending: first (PostgreSQL's NULL order).
      if (a.due_date === b.due_date) return 0;
      if (a.due_date === null) return desc ? -1 : 1;
      if (b.due_date === null) return desc ? 1 : -1;
      return desc ? b.due_date.localeCompare(a.due_date) : a.due_date.localeCompare(b.due_date);
    };
    const sorts: Record<string, (a: T, b: T) => number> = {
      due_date: (a, b) => cmpDue(a, b, false),
      '-due_date': (a, b) => cmpDue(a, b, true),
      priority: (a, b) => RANK[a.priority]! - RANK[b.priority]!,
      '-priority': (a, b) => RANK[b.priority]! - RANK[a.priority]!,
      created_at: (a, b) => a.created_at.localeCompare(b.created_at),
      '-created_at': (a, b) => b.created_at.localeCompare(a.created_at),
      updated_at: (a, b) => a.updated_at.localeCompare(b.updated_at),
      '-updated_at': (a, b) => b.updated_at.localeCompare(a.updated_at),
    };
    for (const [sort, cmp] of Object.entries(sorts)) {
      const one = await list(`sort=${sort}`);
      expect(one.status, sort).toBe(200);
      const got = one.body.tasks;
      for (let i = 1; i < got.length; i++)
        expect(cmp(got[i - 1]!, got[i]!), `${sort} at ${i}`).toBeLessThanOrEqual(0);
      const paged = await everyPage(`sort=${sort}`, 3);
      expect(
        paged.map((x) => x.id),
        sort,
      ).toEqual(got.map((x) => x.id));
    }
    const urgentFirst = await list('sort=-priority&limit=2');
    expect(urgentFirst.body.tasks.map((x) => x.priority)).toEqual(['urgent', 'urgent']);
  });

  it('pages with filters too, and limit bounds the page', async () => {
    const paged = await everyPage('status=pending,in_progress&sort=due_date', 2);
    const direct = await list('status=pending,in_progress&sort=due_date');
    expect(paged.map((x) => x.id)).toEqual(direct.body.tasks.map((x) => x.id));
    const page = await list('limit=3');
    expect(page.body.tasks).toHaveLength(3);
    expect(page.body.next_cursor).toEqual(expect.any(String));
  });

  it('a cursor is stable under concurrent inserts: no duplicates, no pre-existing row skipped', async () => {
    const org = (await createOrg(t)).id;
    const u = await createUser(t, org);
    const make = (title: string) =>
      api<T>(t, 'POST', `/api/v1/users/${u.user.id}/tasks`, { token: u.token, body: { title } });
    const before: string[] = [];
    for (let i = 0; i < 12; i++) before.push((await make(`old-${i}`)).body.id);
    for (const sort of ['-created_at', 'created_at', '-priority']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let n = 0;
      do {
        const res = await list(
          `sort=${sort}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
          u.token,
          org,
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.tasks.map((x) => x.id));
        cursor = res.body.next_cursor;
        // Writers race the reader between pages.
        await Promise.all([make(`new-${sort}-${n}-a`), make(`new-${sort}-${n}-b`)]);
        n++;
      } while (cursor && n < 50);
      expect(new Set(seen).size, sort).toBe(seen.length);
      for (const id of before) expect(seen, sort).toContain(id);
    }
  });

  it('rejects bad input with 400 naming the field, another org with 404, never 5xx', async () => {
    const forged = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const real = (await list('limit=1&sort=due_date')).body.next_cursor!;
    const bad: Array<[string, RegExp]> = [
      ['status=done', /status/],
      ['status=,', /status/],
      ['priority=highest', /priority/],
      ['sort=title', /sort/],
      ['sort=-relevance', /sort/],
      ['due_before=yesterday', /due_before/],
      ['due_after=2026-13-45T00:00:00Z', /due_after/],
      ['overdue=maybe', /overdue/],
      ['limit=0', /limit/],
      ['limit=201', /limit/],
      ['limit=abc', /limit/],
      ['user_id=nope', /user_id/],
      ['created_by=123', /created_by/],
      ['cursor=!!!', /cursor/],
      ['cursor=bm90IGpzb24', /cursor/],
      [`cursor=${forged({ s: '-created_at', k: 'x', i: 'y' })}`, /cursor/],
      [`cursor=${forged({ s: '-created_at', k: "'; drop table tasks", i: all[0]!.id })}`, /cursor/],
      [`cursor=${forged({ s: 'priority', k: 9, i: all[0]!.id })}`, /cursor/],
      [`cursor=${forged([1, 2])}`, /cursor/],
      [`sort=-created_at&cursor=${real}`, /cursor/],
      ['unknown=1', /unknown/],
    ];
    for (const [query, field] of bad) {
      const res = await list(query);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatchObject({
        code: 'bad_request',
        error: expect.stringMatching(field),
      });
    }
    const foreignUser = await list(`user_id=${outsider.user.id}`);
    expect(foreignUser.status).toBe(404);
    expect(foreignUser.body).toMatchObject({
      code: 'not_found',
      error: expect.stringMatching(/user_id/),
    });
    expect((await list(`created_by=${outsider.user.id}`)).status).toBe(404);
    expect((await list('', outsider.token)).status).toBe(404);
    expect((await list('', t.operatorToken)).status).toBe(200);
    expect((await list('', t.operatorToken, 'no-such-org')).status).toBe(404);
  });
});
