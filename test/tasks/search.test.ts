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
}

describe('task search (q)', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;

  const search = async (q: string, extra = '') => {
    const res = await api<{ tasks: T[]; next_cursor: string | null }>(
      t,
      'GET',
      `/api/v1/orgs/${orgId}/tasks?q=${encodeURIComponent(q)}${extra}`,
      { token: alice.token },
    );
    expect(res.status, `${q}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body;
  };
  const titlesOf = async (q: string, extra = '') =>
    (await search(q, extra)).tasks.map((x) => x.title);

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    const tasks: Array<[string, string]> = [
      ['Notes from Monday', 'we should deploy the new pipeline soon'],
      ['Deploy the pipeline', 'friday afternoon'],
      ['Deployment checklist', 'steps'],
      ['Quarterly report draft', 'first version'],
      ['Quarterly report final', 'signed off'],
      ['Budget review meeting', 'with finance'],
      ['Review the budget', 'again'],
      ['Buy apples', ''],
      ['Buy bananas', ''],
      ['Kubernetes upgrade', 'cluster to 1.31'],
    ];
    for (const [title, description] of tasks) {
      const res = await api(t, 'POST', `/api/v1/users/${alice.user.id}/tasks`, {
        token: alice.token,
        body: { title, description },
      });
      expect(res.status).toBe(201);
    }
    // Another org's task with the same words never shows up.
    const other = (await createOrg(t)).id;
    const stranger = await createUser(t, other);
    await api(t, 'POST', `/api/v1/users/${stranger.user.id}/tasks`, {
      token: stranger.token,
      body: { title: 'Deploy the pipeline elsewhere' },
    });
  });
  afterAll(() => t.close());

  it('a title match outranks a description match', async () => {
    const titles = await titlesOf('pipeline');
    expect(titles).toEqual(['Deploy the pipeline', 'Notes from Monday']);
  });

  it('is stemmed and case-insensitive', async () => {
    const titles = await titlesOf('DEPLOYING');
    expect(titles.sort()).toEqual([
      'Deploy the pipeline',
      'Deployment checklist',
      'Notes from Monday',
    ]);
    expect(await titlesOf('budgets')).toHaveLength(2);
  });

  it('every word must match, in any order', async () => {
    expect(await titlesOf('report quarterly')).toHaveLength(2);
    expect(await titlesOf('report signed')).toEqual(['Quarterly report final']);
  });

  it('-word excludes', async () => {
    expect(await titlesOf('quarterly report -draft')).toEqual(['Quarterly report final']);
  });

  it('a quoted phrase matches words in that order only', async () => {
    expect(await titlesOf('"budget review"')).toEqual(['Budget review meeting']);
  });

  it('or matches either side', async () => {
    expect((await titlesOf('apples or bananas')).sort()).toEqual(['Buy apples', 'Buy bananas']);
  });

  it('tolerates a typo in a title word (pg_trgm word similarity)', async () => {
    // 'kubernetse' does not stem to 'kubernet': only the trigram match can find it.
    expect(await titlesOf('kubernetse')).toEqual(['Kubernetes upgrade']);
    expect(await titlesOf('checklst')).toEqual(['Deployment checklist']);
    // Operators keep their exact meaning: no typo matching inside them.
    expect(await titlesOf('"kubernetse upgrade"')).toEqual([]);
    expect(await titlesOf('kubernetse -cluster')).toEqual([]);
  });

  it('relevance pages with a cursor; an explicit sort overrides relevance', async () => {
    const ranked = await titlesOf('deploy');
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const body = await search('deploy', `&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...body.tasks.map((x) => x.title));
      cursor = body.next_cursor;
    } while (cursor);
    expect(paged).toEqual(ranked);
    const oldestFirst = await titlesOf('deploy', '&sort=created_at');
    expect(oldestFirst).toEqual([
      'Notes from Monday',
      'Deploy the pipeline',
      'Deployment checklist',
    ]);
  });

  it('odd queries answer 200, never 5xx', async () => {
    for (const q of [
      'the',
      '&|!:*()',
      "'",
      '""',
      '-',
      'or',
      '\\',
      'a'.repeat(500),
      '   ',
      '😀 emoji',
    ]) {
      await search(q);
    }
    const tooLong = await api(t, 'GET', `/api/v1/orgs/${orgId}/tasks?q=${'a'.repeat(501)}`, {
      token: alice.token,
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatch(/q/);
  });
});
