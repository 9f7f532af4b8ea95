import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';

interface Hit {
  id: string;
  group_id: string;
  user_id: string | null;
  content: string;
  kind: string;
  highlight: string;
  timestamp: string;
}
interface Page {
  messages: Hit[];
  next_cursor: string | null;
}

/**
 * Search over history: only what the caller may read (public groups, its private groups and
 * DMs; admins every private group but never others' DMs), ranked, highlighted, filtered and
 * paged, on whichever database the suite runs.
 */
describe('message search', () => {
  let t: TestApp;
  let orgId: string;
  let admin: Fixture;
  let alice: Fixture;
  let bob: Fixture;
  let stranger: Fixture;
  let dmGroup: string;
  let otherOrg: string;

  const post = async (who: Fixture, group: string, content: string) => {
    const res = await api<{ message: { id: string } }>(
      t,
      'POST',
      `/api/v1/orgs/${orgId}/groups/${group}/broadcast`,
      { token: who.token, body: { content } },
    );
    expect(res.status).toBe(200);
    return res.body.message.id;
  };
  const search = (who: Fixture | string, query: string, org = orgId) =>
    api<Page>(t, 'GET', `/api/v1/orgs/${org}/messages/search?${query}`, {
      token: typeof who === 'string' ? who : who.token,
    });
  const contents = (p: Page) => p.messages.map((m) => m.content).sort();

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    admin = await createUser(t, orgId, { role: 'admin' });
    alice = await createUser(t, orgId);
    bob = await createUser(t, orgId);
    const other = (await createOrg(t)).id;
    otherOrg = other;
    stranger = await createUser(t, other, { role: 'admin' });
    for (const [id, priv] of [
      ['general', false],
      ['secret', true],
    ] as const) {
      const res = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
        token: alice.token,
        body: { id, name: id, private: priv },
      });
      expect(res.status).toBe(201);
    }
    await api(t, 'POST', `/api/v1/orgs/${other}/groups`, {
      token: stranger.token,
      body: { id: 'general', name: 'general' },
    });
    await api(t, 'POST', `/api/v1/orgs/${other}/groups/general/broadcast`, {
      token: stranger.token,
      body: { content: 'deploy elsewhere' },
    });
    await post(alice, 'general', 'deploy the API today');
    await post(bob, 'general', 'we deployed yesterday');
    await post(alice, 'general', 'lunch plans');
    await post(alice, 'secret', 'deploy the secret plan');
    const dm = await api<{ message: { group_id: string } }>(
      t,
      'POST',
      `/api/v1/dm/${alice.user.id}/${bob.user.id}`,
      { token: alice.token, body: { content: 'deploy in our DM' } },
    );
    expect(dm.status).toBe(200);
    dmGroup = dm.body.message.group_id;
    await post(bob, 'general', 'release notes');
    await post(alice, 'general', 'release notes');
    await post(alice, 'general', 'a <script>alert(1)</script> & "deploy" \'quoted\' x < y');
  });
  afterAll(() => t.close());

  it('finds, with stemming, only what each caller may read', async () => {
    const mine = [
      'a <script>alert(1)</script> & "deploy" \'quoted\' x < y',
      'deploy the API today',
      'we deployed yesterday',
    ];
    const bobs = await search(bob, 'q=deploy');
    expect(bobs.status).toBe(200);
    expect(contents(bobs.body)).toEqual([...mine, 'deploy in our DM'].sort());
    // An admin reads every private group of the org, never two others' DM.
    expect(contents((await search(admin, 'q=deploy')).body)).toEqual(
      [...mine, 'deploy the secret plan'].sort(),
    );
    expect(contents((await search(alice, 'q=deploy')).body)).toEqual(
      [...mine, 'deploy the secret plan', 'deploy in our DM'].sort(),
    );
    // The operator reads everything of the org; another org's member nothing of it.
    expect((await search(t.operatorToken, 'q=deploy')).body.messages).toHaveLength(5);
    expect((await search(stranger, 'q=deploy')).status).toBe(404);
    expect(contents((await search(stranger, 'q=deploy', otherOrg)).body)).toEqual([
      'deploy elsewhere',
    ]);
    for (const m of bobs.body.messages) expect(m.kind).toBe('message');
  });

  it('an API key searches only the groups it reaches, with messages:read', async () => {
    const key = async (body: object) => {
      const res = await api<{ key: string }>(t, 'POST', `/api/v1/orgs/${orgId}/api-keys`, {
        token: admin.token,
        body,
      });
      expect(res.status).toBe(201);
      return res.body.key;
    };
    const reader = await key({ name: 'reader', scopes: ['messages:read'] });
    expect(contents((await search(reader, 'q=deploy')).body)).toEqual([
      'a <script>alert(1)</script> & "deploy" \'quoted\' x < y',
      'deploy the API today',
      'we deployed yesterday',
    ]);
    const secretOnly = await key({ name: 'secret', scopes: ['messages:read'], groups: ['secret'] });
    expect(contents((await search(secretOnly, 'q=deploy')).body)).toEqual([
      'deploy the secret plan',
    ]);
    const writer = await key({ name: 'writer', scopes: ['messages:write'] });
    const denied = await search(writer, 'q=deploy');
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).toContain('messages:read');
  });

  it('marks matches in an escaped highlight', async () => {
    const res = await search(alice, 'q=quoted');
    const hit = res.body.messages[0]!;
    expect(hit.content).toContain('<script>');
    expect(hit.highlight).toContain('<mark>quoted</mark>');
    expect(hit.highlight).toContain('&amp; &quot;deploy&quot;');
    expect(hit.highlight).toContain('x &lt; y');
    // PostgreSQL's parser reads <script>…</script> as markup: not indexed, not in the
    // highlight; whatever is there is escaped, and the only tags are the marks.
    expect(hit.highlight).not.toMatch(/<(?!\/?mark>)/);
    const stemmed = await search(alice, 'q=deploying&group_id=general&user_id=' + bob.user.id);
    expect(stemmed.body.messages.map((m) => m.highlight)).toEqual([
      'we <mark>deployed</mark> yesterday',
    ]);
  });

  it('takes web-search syntax: phrases, exclusions, or', async () => {
    expect(
      contents((await search(alice, `q=${encodeURIComponent('"deploy the API"')}`)).body),
    ).toEqual(['deploy the API today']);
    expect(
      contents(
        (await search(alice, `q=${encodeURIComponent('deploy -secret -api')}&group_id=secret`))
          .body,
      ),
    ).toEqual([]);
    expect(
      contents((await search(bob, `q=${encodeURIComponent('lunch or yesterday')}`)).body),
    ).toEqual(['lunch plans', 'we deployed yesterday']);
    // Only stop words: nothing to look for, so nothing found (not an error).
    expect((await search(bob, 'q=the')).body).toEqual({ messages: [], next_cursor: null });
  });

  it('ranks by relevance, newest first on ties, and pages without repeats', async () => {
    const ties = (await search(alice, 'q=release')).body.messages;
    expect(ties.map((m) => m.user_id)).toEqual([alice.user.id, bob.user.id]);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: Page = (
        await search(alice, `q=deploy&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).body;
      expect(page.messages.length).toBeLessThanOrEqual(2);
      seen.push(...page.messages.map((m) => m.id));
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(5);
    expect(seen).toHaveLength(5);
  });

  it('filters by group, author and time', async () => {
    const dm = await search(bob, `q=deploy&group_id=${dmGroup}`);
    expect(contents(dm.body)).toEqual(['deploy in our DM']);
    const byBob = await search(alice, `q=deploy&user_id=${bob.user.id}`);
    expect(contents(byBob.body)).toEqual(['we deployed yesterday']);
    const all = (await search(alice, 'q=deploy')).body.messages;
    const times = all.map((m) => Date.parse(m.timestamp)).sort((a, b) => a - b);
    const mid = new Date(times[2]!).toISOString();
    const before = (await search(alice, `q=deploy&before=${mid}`)).body.messages;
    const after = (await search(alice, `q=deploy&after=${mid}`)).body.messages;
    expect(before.every((m) => Date.parse(m.timestamp) < Date.parse(mid))).toBe(true);
    expect(after.every((m) => Date.parse(m.timestamp) > Date.parse(mid))).toBe(true);
    expect(before.length + after.length).toBe(all.length - 1);
  });

  it('refuses what it cannot answer with 400 or 404, naming the field', async () => {
    // A private group one may not read is as absent as one that does not exist.
    expect((await search(bob, 'q=deploy&group_id=secret')).status).toBe(404);
    expect((await search(admin, `q=deploy&group_id=${dmGroup}`)).status).toBe(404);
    expect((await search(bob, 'q=deploy&group_id=nope')).status).toBe(404);
    const cases: Array<[string, string]> = [
      ['', 'q'],
      ['q=', 'q'],
      [`q=${'x'.repeat(501)}`, 'q'],
      ['q=x&limit=101', 'limit'],
      ['q=x&limit=0', 'limit'],
      ['q=x&before=yesterday', 'before'],
      ['q=x&user_id=42', 'user_id'],
      ['q=x&cursor=abc', 'cursor'],
      ['q=x&group_id=Not%20A%20Slug', 'group_id'],
      ['q=x&unknown=1', 'unknown'],
    ];
    for (const [query, field] of cases) {
      const res = await search(alice, query);
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body), query).toContain(field);
    }
  });
});
