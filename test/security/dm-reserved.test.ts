import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dmId } from '../../src/modules/dms/dms.repo.js';
import { insertGroup } from '../../src/modules/groups/groups.repo.js';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { expectError } from '../foundation/session.js';

/**
 * DM ids are `dm-` + a hash of the two user ids, so they can be computed by anyone: a group
 * created under that id must never take a DM's place.
 */
describe('the dm- prefix belongs to direct messages', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let bob: Fixture;
  let carol: Fixture;
  let mallory: Fixture;

  const openDm = (from: Fixture, to: Fixture) =>
    api<{ id: string; kind: string; other_user: { id: string } }>(
      t,
      'POST',
      `/api/v1/orgs/${orgId}/dms/${to.user.id}`,
      { token: from.token },
    );

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    [alice, bob, carol, mallory] = await Promise.all([
      createUser(t, orgId),
      createUser(t, orgId),
      createUser(t, orgId),
      createUser(t, orgId),
    ]);
  });
  afterAll(() => t.close());

  it('refuses a group id starting with dm- (any case) with 400 naming id', async () => {
    for (const id of [dmId(alice.user.id, bob.user.id), 'dm-general', 'DM-shout', 'Dm-x']) {
      for (const isPrivate of [false, true]) {
        const res = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
          token: mallory.token,
          body: { id, name: 'squat', private: isPrivate },
        });
        expectError(res, 400, 'bad_request', 'id');
      }
    }
    // The operator is held to the same rule.
    const op = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: t.operatorToken,
      body: { id: 'dm-ops', name: 'ops' },
    });
    expectError(op, 400, 'bad_request', 'id');
    // Ids that merely contain "dm" are fine.
    const ok = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: mallory.token,
      body: { id: 'admins-dm', name: 'fine' },
    });
    expect(ok.status).toBe(201);
  });

  it('a member creating dm-<hash of two users> cannot block their DM', async () => {
    const squatted = dmId(alice.user.id, bob.user.id);
    const res = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: mallory.token,
      body: { id: squatted, name: 'gotcha' },
    });
    expect(res.status).toBe(400);
    const dm = await openDm(alice, bob);
    expect(dm.status).toBe(200);
    expect(dm.body).toMatchObject({ kind: 'dm', other_user: { id: bob.user.id } });
    // Both sides reach the same conversation, and it carries messages.
    const back = await openDm(bob, alice);
    expect(back.body.id).toBe(dm.body.id);
    const sent = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups/${dm.body.id}/broadcast`, {
      token: alice.token,
      body: { content: 'hi bob' },
    });
    expect(sent.status).toBe(200);
    const history = await api<{ messages: Array<{ content: string }> }>(
      t,
      'GET',
      `/api/v1/orgs/${orgId}/groups/${dm.body.id}/messages`,
      { token: bob.token },
    );
    expect(history.body.messages.map((m) => m.content)).toEqual(['hi bob']);
    // Mallory is not in it.
    const peek = await api(t, 'GET', `/api/v1/orgs/${orgId}/groups/${dm.body.id}/messages`, {
      token: mallory.token,
    });
    expectError(peek, 404, 'not_found');
  });

  it('a public group named dm-… from older data never shadows the DM', async () => {
    // Written straight to the database, as a server from before the prefix was reserved did.
    const squatted = dmId(carol.user.id, bob.user.id);
    await insertGroup(t.app.database.db, orgId, {
      id: squatted,
      name: 'legacy squat',
      private: false,
      createdBy: mallory.user.id,
    });
    const dm = await openDm(carol, bob);
    expect(dm.status).toBe(200);
    expect(dm.body.kind).toBe('dm');
    expect(dm.body.id).not.toBe(squatted);
    expect(dm.body.id.startsWith('dm-')).toBe(true);
    expect((await openDm(bob, carol)).body.id).toBe(dm.body.id);
    // Mallory's old group is still just a public group, and not the DM.
    const peek = await api(t, 'GET', `/api/v1/orgs/${orgId}/groups/${dm.body.id}/messages`, {
      token: mallory.token,
    });
    expectError(peek, 404, 'not_found');
    const list = await api<Array<{ id: string }>>(t, 'GET', `/api/v1/orgs/${orgId}/dms`, {
      token: carol.token,
    });
    expect(list.body.map((d) => d.id)).toEqual([dm.body.id]);
  });
});
