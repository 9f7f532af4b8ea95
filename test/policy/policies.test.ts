import { describe, expect, it } from 'vitest';
import { enforce, type Decision } from '../../src/modules/auth/policy.js';
import type { Principal } from '../../src/modules/auth/principal.js';
import type { Scope } from '../../src/protocol/api-keys.js';
import { canDm } from '../../src/modules/dms/dms.policy.js';
import { canGroup, type GroupResource } from '../../src/modules/groups/groups.policy.js';
import { canAnnouncements, canGroupMessages } from '../../src/modules/messages/messages.policy.js';
import { canOrg } from '../../src/modules/orgs/orgs.policy.js';
import { canTask } from '../../src/modules/tasks/tasks.policy.js';
import { canUser } from '../../src/modules/users/users.policy.js';

const operator: Principal = { kind: 'operator' };
const user = (id: string, role: 'admin' | 'member' = 'member', orgId = 'acme'): Principal => ({
  kind: 'user',
  id,
  orgId,
  role,
  username: id,
});
const key = (scopes: Scope[], groups: string[] | null = null): Principal => ({
  kind: 'apiKey',
  id: 'k1',
  orgId: 'acme',
  name: 'bot',
  scopes,
  groups,
});
const alice = user('alice');
const admin = user('root', 'admin');
const stranger = user('eve', 'admin', 'other');

/** 'allow', 'hidden' (404) or 'denied' (403). */
const verdict = (d: Decision) => (d.ok ? 'allow' : d.hidden ? 'hidden' : 'denied');
const group = (g: Partial<GroupResource>): GroupResource => ({
  orgId: 'acme',
  id: 'general',
  private: false,
  kind: 'group',
  member: false,
  ...g,
});

describe('policies', () => {
  it('enforce: hidden is a 404 naming the resource, denied a 403 with the reason', () => {
    expect(() => enforce(canOrg(stranger, 'view', { id: 'acme' }))).toThrow(
      expect.objectContaining({ status: 404, code: 'not_found', message: 'org not found' }),
    );
    expect(() => enforce(canOrg(alice, 'administer', { id: 'acme' }))).toThrow(
      expect.objectContaining({ status: 403, code: 'forbidden' }),
    );
    expect(() => enforce(canOrg(admin, 'administer', { id: 'acme' }))).not.toThrow();
  });

  it('orgs: members see theirs, admins administer it, only the operator creates', () => {
    expect(verdict(canOrg(alice, 'view', { id: 'acme' }))).toBe('allow');
    expect(verdict(canOrg(alice, 'view', { id: 'other' }))).toBe('hidden');
    expect(verdict(canOrg(stranger, 'administer', { id: 'acme' }))).toBe('hidden');
    expect(verdict(canOrg(admin, 'create', { id: 'new' }))).toBe('denied');
    expect(verdict(canOrg(operator, 'create', { id: 'new' }))).toBe('allow');
    expect(verdict(canOrg(operator, 'administer', { id: 'any' }))).toBe('allow');
  });

  it('groups: a private group is hidden from non-members, admins see it, not a DM', () => {
    expect(verdict(canGroup(alice, 'join', group({})))).toBe('allow');
    expect(verdict(canGroup(stranger, 'join', group({})))).toBe('hidden');
    expect(verdict(canGroup(alice, 'join', group({ private: true })))).toBe('hidden');
    expect(verdict(canGroup(alice, 'join', group({ private: true, member: true })))).toBe('allow');
    expect(verdict(canGroup(admin, 'join', group({ private: true })))).toBe('allow');
    expect(verdict(canGroup(admin, 'join', group({ private: true, kind: 'dm' })))).toBe('hidden');
    expect(verdict(canGroup(operator, 'join', group({ private: true, kind: 'dm' })))).toBe('allow');
  });

  it('groups: members of a private group and admins manage members; a DM never changes', () => {
    expect(verdict(canGroup(alice, 'manageMembers', group({})))).toBe('denied');
    expect(verdict(canGroup(alice, 'manageMembers', group({ private: true, member: true })))).toBe(
      'allow',
    );
    expect(verdict(canGroup(alice, 'manageMembers', group({ private: true })))).toBe('hidden');
    expect(verdict(canGroup(admin, 'manageMembers', group({})))).toBe('allow');
    const dm = group({ private: true, kind: 'dm', member: true });
    expect(verdict(canGroup(alice, 'manageMembers', dm))).toBe('denied');
    expect(verdict(canGroup(operator, 'manageMembers', dm))).toBe('denied');
  });

  it('announcements: admins and the operator announce, members read', () => {
    expect(verdict(canAnnouncements(alice, 'announce', { id: 'acme' }))).toBe('denied');
    expect(verdict(canAnnouncements(alice, 'read', { id: 'acme' }))).toBe('allow');
    expect(verdict(canAnnouncements(admin, 'announce', { id: 'acme' }))).toBe('allow');
    expect(verdict(canAnnouncements(stranger, 'read', { id: 'acme' }))).toBe('hidden');
  });

  it('tasks: any member updates; its user, creator or an admin deletes; other orgs see none', () => {
    const task = { orgId: 'acme', userId: 'bob', createdBy: 'carol' };
    expect(verdict(canTask(alice, 'update', task))).toBe('allow');
    expect(verdict(canTask(alice, 'delete', task))).toBe('denied');
    for (const p of [user('bob'), user('carol'), admin, operator])
      expect(verdict(canTask(p, 'delete', task))).toBe('allow');
    const hiddenTask = canTask(stranger, 'view', task);
    expect(hiddenTask).toEqual({ ok: false, hidden: true, what: 'task' });
  });

  it('users: seen by their org; changed by themselves or an admin; roles and deletion by admins', () => {
    const bob = { orgId: 'acme', id: 'bob' };
    expect(verdict(canUser(alice, 'view', bob))).toBe('allow');
    expect(verdict(canUser(alice, 'update', bob))).toBe('denied');
    expect(verdict(canUser(user('bob'), 'update', bob))).toBe('allow');
    expect(verdict(canUser(user('bob'), 'changeRole', bob))).toBe('denied');
    expect(verdict(canUser(user('bob'), 'delete', bob))).toBe('denied');
    expect(verdict(canUser(admin, 'delete', bob))).toBe('allow');
    expect(verdict(canUser(stranger, 'update', bob))).toBe('hidden');
  });

  it('DMs: users open their own, send as themselves, read either side; the operator has none', () => {
    expect(verdict(canDm(alice, 'open', { orgId: 'acme' }))).toBe('allow');
    expect(verdict(canDm(operator, 'open', { orgId: 'acme' }))).toBe('denied');
    expect(verdict(canDm(stranger, 'open', { orgId: 'acme' }))).toBe('hidden');
    const pair = { orgId: 'acme', userId: 'bob', otherId: 'alice' };
    expect(verdict(canDm(alice, 'send', pair))).toBe('denied');
    expect(verdict(canDm(user('bob'), 'send', pair))).toBe('allow');
    expect(verdict(canDm(alice, 'read', pair))).toBe('allow');
    expect(verdict(canDm(user('carol'), 'read', pair))).toBe('denied');
    expect(verdict(canDm(operator, 'send', pair))).toBe('allow');
  });

  it('API keys: their org only, never an admin, the groups they were given, the scopes they hold', () => {
    const rw = key(['messages:read', 'messages:write']);
    expect(verdict(canOrg(rw, 'view', { id: 'acme' }))).toBe('allow');
    expect(verdict(canOrg(rw, 'view', { id: 'other' }))).toBe('hidden');
    expect(verdict(canOrg(rw, 'administer', { id: 'acme' }))).toBe('denied');
    expect(verdict(canGroup(rw, 'join', group({})))).toBe('allow');
    expect(verdict(canGroup(rw, 'join', group({ private: true })))).toBe('hidden');
    expect(verdict(canGroup(rw, 'join', group({ orgId: 'other' })))).toBe('hidden');
    expect(verdict(canGroup(rw, 'manageMembers', group({})))).toBe('denied');
    const limited = key(['messages:read'], ['secret']);
    expect(verdict(canGroup(limited, 'join', group({ id: 'secret', private: true })))).toBe(
      'allow',
    );
    expect(verdict(canGroup(limited, 'join', group({})))).toBe('hidden');
    expect(verdict(canGroup(limited, 'join', group({ id: 'secret', kind: 'dm' })))).toBe('hidden');
    expect(verdict(canGroupMessages(limited, 'read', group({ id: 'secret' })))).toBe('allow');
    const noWrite = canGroupMessages(limited, 'post', group({ id: 'secret' }));
    expect(noWrite).toEqual({
      ok: false,
      hidden: false,
      reason: 'this API key lacks the scope messages:write',
    });
    expect(verdict(canAnnouncements(rw, 'announce', { id: 'acme' }))).toBe('denied');
    expect(verdict(canAnnouncements(key(['broadcast']), 'announce', { id: 'acme' }))).toBe('allow');
    expect(verdict(canAnnouncements(key(['broadcast']), 'announce', { id: 'other' }))).toBe(
      'hidden',
    );
    expect(verdict(canUser(rw, 'update', { orgId: 'acme', id: 'k1' }))).toBe('denied');
    expect(verdict(canDm(rw, 'open', { orgId: 'acme' }))).toBe('denied');
    const task = { orgId: 'acme', userId: 'bob', createdBy: null };
    expect(verdict(canTask(rw, 'delete', task))).toBe('allow');
    expect(verdict(canTask(rw, 'view', { ...task, orgId: 'other' }))).toBe('hidden');
  });
});
