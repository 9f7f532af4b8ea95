import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrgHubClient, OrgHubError } from '../src/index.js';
import { PASSWORD, createOrg, createUser, startApp, type TestApp } from '../../test/helpers/app.js';

let t: TestApp;
let orgId: string;
let admin: OrgHubClient;
let adminName: string;

beforeAll(async () => {
  t = await startApp();
  orgId = (await createOrg(t)).id;
  const a = await createUser(t, orgId, { role: 'admin' });
  adminName = a.user.username;
  admin = new OrgHubClient({ baseUrl: t.url });
  await admin.login({ org_id: orgId, username: adminName, password: PASSWORD });
});
afterAll(() => t?.close());

describe('SDK REST client against a real server', () => {
  it('signs in, reads itself, and maps errors to OrgHubError with the contract code', async () => {
    const me = await admin.me();
    expect('username' in me && me.username).toBe(adminName);
    const anon = new OrgHubClient({ baseUrl: t.url });
    const err = await anon
      .login({ org_id: orgId, username: adminName, password: 'wrong-password' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrgHubError);
    expect((err as OrgHubError).status).toBe(401);
    expect((err as OrgHubError).code).toBe('unauthorized');
  });

  it('refreshes before expiry and retries once after a 401', async () => {
    const c = new OrgHubClient({ baseUrl: t.url });
    await c.login({ org_id: orgId, username: adminName, password: PASSWORD });
    const first = c.session.current!;
    // A token that is about to expire is refreshed before it is used.
    c.session.set({ ...first, expires_at: Date.now() + 1000 });
    await c.me();
    const second = c.session.current!;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // A token the server refuses is refreshed once, and the call retried.
    c.session.set({ ...second, access_token: 'not-a-token' });
    const me = await c.me();
    expect('id' in me).toBe(true);
    expect(c.session.current!.refresh_token).not.toBe(second.refresh_token);
  });

  it('a session whose refresh token is gone fails with 401 instead of looping', async () => {
    const c = new OrgHubClient({ baseUrl: t.url });
    await c.login({ org_id: orgId, username: adminName, password: PASSWORD });
    const s = c.session.current!;
    await new OrgHubClient({ baseUrl: t.url, session: s }).logout();
    c.session.set({ ...s, access_token: 'expired' });
    await expect(c.me()).rejects.toMatchObject({ status: 401 });
    expect(c.session.current).toBeNull();
  });

  it('manages groups, members and users', async () => {
    const g = await admin.createGroup(orgId, { id: 'sdk-eng', name: 'Engineering', private: true });
    expect(g).toMatchObject({ id: 'sdk-eng', org_id: orgId, private: true });
    const u = await admin.createUser({
      username: 'sdkbob',
      email: 'sdkbob@example.test',
      org_id: orgId,
      password: PASSWORD,
    });
    expect(u.role).toBe('member');
    const bob = new OrgHubClient({ baseUrl: t.url });
    await bob.login({ org_id: orgId, username: 'sdkbob', password: PASSWORD });
    expect((await bob.listGroups(orgId)).map((x) => x.id)).not.toContain('sdk-eng');
    await admin.addMember(orgId, 'sdk-eng', u.id);
    expect((await bob.listGroups(orgId)).map((x) => x.id)).toContain('sdk-eng');
    expect((await admin.searchUser('sdkbob')).id).toBe(u.id);
    expect((await admin.updateUser(u.id, { full_name: 'Bob B' })).full_name).toBe('Bob B');
    expect((await admin.listUsers(orgId)).map((x) => x.username)).toContain('sdkbob');
    await admin.removeMember(orgId, 'sdk-eng', u.id);
    expect((await bob.listGroups(orgId)).map((x) => x.id)).not.toContain('sdk-eng');
    await admin.deleteUser(u.id);
    await expect(admin.getUser(u.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('the operator token works as a fixed bearer', async () => {
    const op = new OrgHubClient({ baseUrl: t.url, token: t.operatorToken });
    expect(await op.me()).toEqual({ operator: true });
    expect((await op.listOrgs()).map((o) => o.id)).toContain(orgId);
  });

  it('covers messages, broadcasts, read cursors, DMs, tasks with activity, notifications', async () => {
    const me = await admin.me();
    if (!('id' in me)) throw new Error('expected a user');
    await admin.createGroup(orgId, { id: 'sdk-chat', name: 'Chat' });
    const posted = await admin.postMessage(orgId, 'sdk-chat', {
      content: 'one',
      client_msg_id: 'rest-1',
    });
    const again = await admin.postMessage(orgId, 'sdk-chat', {
      content: 'one',
      client_msg_id: 'rest-1',
    });
    expect(again).toMatchObject({ status: 'duplicate', message: { id: posted.message.id } });
    await admin.postMessage(orgId, 'sdk-chat', { content: 'two' });
    expect(await admin.messageCount(orgId, 'sdk-chat')).toBe(2);
    expect((await admin.messagesAfter(orgId, 'sdk-chat', { after_seq: 1 })).messages).toHaveLength(
      1,
    );
    const around = await admin.messages(orgId, 'sdk-chat', { around_seq: 2, limit: 1 });
    expect(around.messages.map((m) => m.content)).toEqual(['one', 'two']);
    const found = await admin.searchMessages(orgId, { q: 'two', group_id: 'sdk-chat' });
    expect(found.messages).toMatchObject([{ content: 'two', highlight: '<mark>two</mark>' }]);
    expect(found.next_cursor).toBeNull();
    const cursor = await admin.markRead(orgId, 'sdk-chat', 1);
    expect(cursor).toEqual({
      group_id: 'sdk-chat',
      last_read_seq: 1,
      last_seq: 2,
      unread_count: 1,
    });
    const listed = (await admin.listGroups(orgId)).find((g) => g.id === 'sdk-chat');
    expect(listed).toMatchObject({ unread_count: 1, last_read_seq: 1, last_seq: 2 });

    const b = await admin.broadcast(orgId, 'all hands');
    const page = await admin.listBroadcasts(orgId, { limit: 5 });
    expect(page.broadcasts[0]).toMatchObject({ id: b.message.id, content: 'all hands' });

    const other = await createUser(t, orgId, { username: 'sdkdm' });
    const dm = await admin.openDm(orgId, other.user.id);
    expect(dm).toMatchObject({ kind: 'dm', other_user: { id: other.user.id, username: 'sdkdm' } });
    expect(await admin.openDm(orgId, other.user.id)).toEqual(dm);
    expect((await admin.listDms(orgId)).map((d) => d.id)).toEqual([dm.id]);

    const task = await admin.createTask(me.id, { title: 'Write the SDK', priority: 'high' });
    const moved = await admin.updateTask(task.id, { status: 'in_progress' }, task.version);
    expect(moved.version).toBe(2);
    await expect(admin.updateTask(task.id, { status: 'completed' }, 1)).rejects.toMatchObject({
      status: 412,
      code: 'version_conflict',
    });
    const activity = await admin.taskActivity(task.id);
    expect(activity.map((a) => a.action)).toEqual(['created', 'updated']);
    expect(activity[1]!.changes['status']).toEqual({ from: 'pending', to: 'in_progress' });
    const all = [];
    for await (const x of admin.allTasks(orgId, { sort: '-priority', limit: 1 })) all.push(x);
    expect(all.map((x) => x.id)).toContain(task.id);

    expect(await admin.notifications({ unread: true })).toEqual([]);
    await expect(
      admin.markNotificationRead('00000000-0000-0000-0000-000000000000'),
    ).rejects.toMatchObject({ status: 404 });
    expect(await admin.presence(orgId, 'sdk-chat')).toEqual([]);
  });

  it('API keys: an admin creates one (the key once), a client with it posts as the key, revoked it is refused', async () => {
    const g = await admin.createGroup(orgId, { id: 'sdk-keys', name: 'SDK keys' });
    expect(g.id).toBe('sdk-keys');
    const created = await admin.createApiKey(orgId, {
      name: 'sdk-bot',
      scopes: ['messages:write'],
    });
    expect(created.key).toMatch(/^ohk_/);
    expect((await admin.listApiKeys(orgId)).map((k) => k.id)).toContain(created.id);
    const bot = new OrgHubClient({ baseUrl: t.url, token: created.key });
    const posted = await bot.postMessage(orgId, 'sdk-keys', { content: 'from the SDK' });
    expect(posted.message).toMatchObject({ user_id: null, username: 'sdk-bot' });
    await admin.revokeApiKey(orgId, created.id);
    // A fixed token has no refresh token: the SDK reports the 401 as the session's end.
    await expect(bot.postMessage(orgId, 'sdk-keys', { content: 'again' })).rejects.toThrow(
      /session expired/,
    );
  });
});
