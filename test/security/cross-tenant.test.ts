import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type ApiResponse,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect, refusal } from '../messaging/socket-client.js';
import { openWorkspace } from '../workspace/ws-client.js';

/**
 * The cross-tenant matrix, generated from `/openapi.json`: org A's admin and member call every
 * operation with each id in its path (then the ids in query and body) replaced by org B's.
 * Each answer is 404 (the contract: another org's resource is never 403, so ids cannot be
 * probed), and no 2xx body anywhere holds one of B's ids or names. Fields a body must not set
 * (`org_id`, `role`, `created_by`, …) are refused, and every `/ws` frame naming one of B's
 * groups, or its DM, is `not_found`.
 */

interface Tenant {
  orgId: string;
  orgName: string;
  admin: Fixture;
  member: Fixture;
  other: Fixture;
  groupId: string;
  privateGroupId: string;
  dmId: string;
  taskId: string;
  keyId: string;
  keyName: string;
}
interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string }>;
        requestBody?: {
          content?: Record<string, { schema: { properties?: Record<string, unknown> } }>;
        };
      }
    >
  >;
}

/** A body the operation accepts, so that only the substituted id can make it fail. */
const BODIES: Record<string, () => unknown> = {
  'POST /api/v1/orgs/{orgId}/groups': () => ({ id: `g${randomUUID().slice(0, 8)}`, name: 'G' }),
  'POST /api/v1/orgs/{orgId}/groups/{groupId}/broadcast': () => ({ content: 'hi' }),
  'POST /api/v1/orgs/{orgId}/broadcast': () => ({ content: 'hi' }),
  'PUT /api/v1/orgs/{orgId}/groups/{groupId}/read': () => ({ seq: 0 }),
  'POST /api/v1/users/{userId}/tasks': () => ({ title: 'x' }),
  'PUT /api/v1/tasks/{id}': () => ({ title: 'x' }),
  'PUT /api/v1/users/{id}': () => ({ full_name: 'x' }),
  'POST /api/v1/dm/{userId}/{recipientId}': () => ({ content: 'hi' }),
  'POST /api/v1/orgs/{orgId}/api-keys': () => ({ name: 'bot', scopes: ['messages:read'] }),
};
/** Query parameters an operation requires, so that only the substituted id can make it fail. */
const QUERIES: Record<string, string> = {
  '/api/v1/orgs/{orgId}/groups/{groupId}/messages/between': '?start=0&end=1',
  '/api/v1/orgs/{orgId}/groups/{groupId}/messages/after': '?after_seq=0',
  // B's messages hold "secret": a search of B's org by A finds nothing, it is 404.
  '/api/v1/orgs/{orgId}/messages/search': '?q=secret',
};
/** Routes outside tenancy: sign-in (401 for every wrong org), the operator's, probes. */
const UNSCOPED = /^\/(health|metrics|openapi)|^\/api\/v1\/(health|auth\/)|^\/api\/v1\/orgs$/;

describe('cross-tenant matrix from /openapi.json', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let spec: OpenApi;

  async function tenant(name: string): Promise<Tenant> {
    const orgName = `${name}-${randomUUID().slice(0, 8)}`;
    const orgId = (await createOrg(t, `org-${orgName.toLowerCase()}`, orgName)).id;
    const admin = await createUser(t, orgId, {
      role: 'admin',
      username: `${name}adm${orgId.slice(-4)}`,
    });
    const member = await createUser(t, orgId, { username: `${name}mem${orgId.slice(-4)}` });
    const other = await createUser(t, orgId, { username: `${name}oth${orgId.slice(-4)}` });
    const post = async (path: string, token: string, body: unknown, status = 201) => {
      const r = await api<{ id: string }>(t, 'POST', path, { token, body });
      expect(r.status, `${path} ${JSON.stringify(r.body)}`).toBe(status);
      return r.body;
    };
    const groupId = `pub-${orgId.slice(-8)}`;
    const privateGroupId = `priv-${orgId.slice(-8)}`;
    await post(`/api/v1/orgs/${orgId}/groups`, member.token, {
      id: groupId,
      name: `${orgName} public`,
    });
    await post(`/api/v1/orgs/${orgId}/groups`, member.token, {
      id: privateGroupId,
      name: `${orgName} private`,
      private: true,
    });
    await post(
      `/api/v1/orgs/${orgId}/groups/${groupId}/broadcast`,
      member.token,
      {
        content: `${orgName} secret message`,
      },
      200,
    );
    const dm = await api<{ id: string }>(t, 'POST', `/api/v1/orgs/${orgId}/dms/${other.user.id}`, {
      token: member.token,
    });
    expect(dm.status).toBeLessThan(300);
    const task = await post(`/api/v1/users/${member.user.id}/tasks`, member.token, {
      title: `${orgName} secret task`,
    });
    const keyName = `${name}-key-${orgId.slice(-8)}`;
    const apiKey = await post(`/api/v1/orgs/${orgId}/api-keys`, admin.token, {
      name: keyName,
      scopes: ['messages:read'],
    });
    return {
      keyId: apiKey.id,
      keyName,
      orgId,
      orgName,
      admin,
      member,
      other,
      groupId,
      privateGroupId,
      dmId: dm.body.id,
      taskId: task.id,
    };
  }

  beforeAll(async () => {
    t = await startApp();
    a = await tenant('Alpha');
    b = await tenant('Bravo');
    spec = (await api<OpenApi>(t, 'GET', '/openapi.json')).body;
  });
  afterAll(() => t.close());

  /** Everything of B's that must never appear in an answer to A. */
  const foreign = () => [
    b.orgId,
    b.orgName,
    b.admin.user.id,
    b.member.user.id,
    b.other.user.id,
    b.member.user.username,
    b.groupId,
    b.privateGroupId,
    b.dmId,
    b.taskId,
    b.keyId,
    b.keyName,
  ];
  const leaks = (res: ApiResponse) => {
    const text = JSON.stringify(res.body);
    return foreign().filter((s) => text.includes(s));
  };

  /** The id a path parameter takes for a tenant, by the parameter's name and the route. */
  const idFor = (x: Tenant, path: string, name: string): string => {
    if (name === 'orgId') return x.orgId;
    if (name === 'groupId') return x.groupId;
    if (name === 'userId') return x.other.user.id;
    if (name === 'keyId') return x.keyId;
    if (name === 'id' && path.startsWith('/api/v1/tasks')) return x.taskId;
    if (name === 'id' && path.startsWith('/api/v1/users')) return x.other.user.id;
    return randomUUID();
  };

  const operations = () =>
    Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })),
    );

  it('every path id of another org answers 404, to an admin and a member, leaking nothing', async () => {
    const wrong: string[] = [];
    let calls = 0;
    for (const op of operations()) {
      if (UNSCOPED.test(op.path)) continue;
      const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      for (const swap of names) {
        // `/notifications/{id}` has no org in its path; B's notification ids are not needed:
        // a random one is just as unknown, and the route's other tests cover the owner check.
        const url =
          op.path.replace(/\{(\w+)\}/g, (_, n: string) => idFor(n === swap ? b : a, op.path, n)) +
          (QUERIES[op.path] ?? '');
        const body = BODIES[`${op.method} ${op.path}`]?.();
        for (const caller of [a.admin, a.member]) {
          const res = await api(t, op.method, url, {
            token: caller.token,
            ...(body !== undefined && { body }),
          });
          calls++;
          const leaked = res.status < 300 ? leaks(res) : [];
          if (res.status !== 404 || leaked.length)
            wrong.push(
              `${op.method} ${url} (${swap} of B) → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
            );
        }
      }
    }
    console.log(`cross-tenant: ${calls} path substitutions`);
    expect(wrong).toEqual([]);
    expect(calls).toBeGreaterThan(50);
  });

  it('ids of another org in the query and the body answer 404, leaking nothing', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['GET', `/api/v1/orgs/${a.orgId}/tasks?user_id=${b.member.user.id}`, undefined],
      ['GET', `/api/v1/orgs/${a.orgId}/tasks?created_by=${b.member.user.id}`, undefined],
      ['GET', `/api/v1/orgs/${a.orgId}/messages/search?q=secret&group_id=${b.groupId}`, undefined],
      [
        'GET',
        `/api/v1/users/search?username=${b.member.user.username}&org_id=${b.orgId}`,
        undefined,
      ],
      ['PUT', `/api/v1/tasks/${a.taskId}`, { user_id: b.member.user.id }],
      [
        'POST',
        '/api/v1/users',
        {
          username: `x${randomUUID().slice(0, 6)}`,
          email: `${randomUUID()}@e.test`,
          org_id: b.orgId,
          password: 'a long passphrase 123',
        },
      ],
    ];
    const wrong: string[] = [];
    for (const [method, url, body] of cases)
      for (const caller of [a.admin, a.member]) {
        const res = await api(t, method, url, {
          token: caller.token,
          ...(body !== undefined && { body }),
        });
        const leaked = res.status < 300 ? leaks(res) : [];
        // A member may not create users at all (403 before any id is looked at).
        const ok =
          res.status === 404 ||
          (res.status === 403 && caller === a.member && url === '/api/v1/users');
        if (!ok || leaked.length)
          wrong.push(`${method} ${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    expect(wrong).toEqual([]);
  });

  it('fields a body must not set are refused with 400, never applied', async () => {
    const extras = {
      org_id: b.orgId,
      role: 'admin',
      created_by: b.member.user.id,
      id: randomUUID(),
      user_id: b.member.user.id,
      version: 99,
    };
    const wrong: string[] = [];
    for (const [key, make] of Object.entries(BODIES)) {
      const [method, template] = key.split(' ') as [string, string];
      const url = template.replace(/\{(\w+)\}/g, (_, n: string) => idFor(a, template, n));
      for (const [field, value] of Object.entries(extras)) {
        const base = make() as Record<string, unknown>;
        // A field the route does take (a task's user_id, a user's role) is another test's.
        const declared =
          spec.paths[template]?.[method.toLowerCase()]?.requestBody?.content?.['application/json']
            ?.schema.properties ?? {};
        if (field in base || field in declared) continue;
        const res = await api(t, method, url, {
          token: a.admin.token,
          body: { ...base, [field]: value },
        });
        if (res.status !== 400 || !JSON.stringify(res.body).includes(field))
          wrong.push(
            `${key} with ${field} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
          );
      }
    }
    expect(wrong).toEqual([]);
    // Nothing changed for B, and A's member is still a member.
    const me = await api<{ role: string; org_id: string }>(t, 'GET', '/api/v1/auth/me', {
      token: a.member.token,
    });
    expect(me.body).toMatchObject({ role: 'member', org_id: a.orgId });
  });

  it('every /ws frame naming a group, private group or DM of another org is not_found', async () => {
    const ws = await openWorkspace(t, a.admin.token);
    const wrong: string[] = [];
    for (const groupId of [b.groupId, b.privateGroupId, b.dmId]) {
      const frames: Array<Record<string, unknown>> = [
        { type: 'subscribe', group_id: groupId },
        { type: 'subscribe', group_id: groupId, since_seq: 0 },
        { type: 'history', group_id: groupId },
        { type: 'publish', group_id: groupId, content: 'hi' },
        { type: 'read', group_id: groupId, seq: 1 },
        { type: 'typing', group_id: groupId },
        { type: 'presence', group_id: groupId },
        { type: 'unsubscribe', group_id: groupId },
      ];
      for (const f of frames) {
        const reply = await ws.request(f);
        const text = JSON.stringify(reply);
        const leaked = foreign().filter((s) => s !== groupId && text.includes(s));
        // `unsubscribe` of a group one never subscribed is a no-op answer; it must leak nothing.
        const ok =
          f.type === 'unsubscribe'
            ? reply.type !== 'error' || reply['code'] === 'not_found'
            : reply.type === 'error' && reply['code'] === 'not_found';
        if (!ok || leaked.length) wrong.push(`${JSON.stringify(f)} → ${text.slice(0, 200)}`);
      }
    }
    await ws.close();
    expect(wrong).toEqual([]);
  });

  it('a group socket to another org is refused 404', async () => {
    for (const [orgId, groupId] of [
      [b.orgId, b.groupId],
      [a.orgId, b.groupId],
      [b.orgId, b.privateGroupId],
    ] as const) {
      const r = await refusal(connect(t, orgId, groupId, a.admin.token));
      expect({ orgId, groupId, status: r.status }).toEqual({ orgId, groupId, status: 404 });
    }
  });
});
