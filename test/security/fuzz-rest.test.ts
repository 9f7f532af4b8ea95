import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  captureLogs,
  createOrg,
  createUser,
  startApp,
  type ApiResponse,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import {
  arbitraryFor,
  fuzzParams,
  gcFunction,
  settledHeapMb,
  type JsonSchema,
} from './schema-arbitrary.js';

/**
 * Fuzzing every operation of `/openapi.json` with requests generated from its own schemas:
 * path, query and body values the schema (nearly) accepts, wrong types, edge numbers, odd text
 * and extra fields, under several callers. Whatever is sent: never a 5xx, every error has the
 * `{error, code}` shape, nothing reaches the log as an error, the server still answers and its
 * heap does not grow. FUZZ_SEED=<seed> replays a failure; FUZZ_SCALE=<n> runs n times more.
 */

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: JsonSchema | undefined;
}
interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema: JsonSchema }> };
      }
    >
  >;
  components: { schemas: Record<string, JsonSchema> };
}

const SCALE = Number(process.env['FUZZ_SCALE'] ?? '1');
/** Requests per CI run here; the socket suites bring the total to 10,000. */
const TOTAL = 6000 * SCALE;
/** Routes that hash a password (~0.4 s of scrypt each) get few cases, or the run takes minutes. */
const HASHING = new Set([
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/signup',
  'POST /api/v1/users',
  'PUT /api/v1/users/{id}',
]);
const HASHING_RUNS = 25 * SCALE;

describe('fuzzing every REST operation from /openapi.json', () => {
  let t: TestApp;
  let orgId: string;
  let admin: Fixture;
  let member: Fixture;
  let victims: Fixture[];
  let taskId: string;
  const groupId = 'fuzz';
  const logs = captureLogs();
  let ops: Operation[];
  let spec: OpenApi;

  beforeAll(async () => {
    t = await startApp({ config: { logLevel: 'warn' }, logStream: logs.stream });
    orgId = (await createOrg(t)).id;
    admin = await createUser(t, orgId, { role: 'admin' });
    member = await createUser(t, orgId);
    victims = [await createUser(t, orgId), await createUser(t, orgId)];
    expect(
      (
        await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
          token: member.token,
          body: { id: groupId, name: 'Fuzz' },
        })
      ).status,
    ).toBe(201);
    const task = await api<{ id: string }>(t, 'POST', `/api/v1/users/${member.user.id}/tasks`, {
      token: member.token,
      body: { title: 'fuzzed' },
    });
    taskId = task.body.id;
    spec = (await api<OpenApi>(t, 'GET', '/openapi.json')).body;
    ops = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
      })),
    );
  });
  afterAll(() => t.close());

  const resolve = (ref: string): JsonSchema => {
    const name = ref.split('/').pop()!;
    const s = spec.components.schemas[name];
    if (!s) throw new Error(`unresolved ${ref}`);
    return s;
  };

  /**
   * Real ids for fields of each name, so that most cases reach the service and the database.
   * Routes that change or remove a user get only the spare users: an admin resetting the
   * fuzzing member's password would end its session and leave the rest of the run at 401.
   */
  const poolsFor = (op: Operation) => {
    const mutatesUser =
      op.method !== 'GET' && (/\/users\/\{id\}$/.test(op.path) || op.path.includes('/members/'));
    const users = mutatesUser
      ? victims.map((v) => v.user.id)
      : [member.user.id, admin.user.id, victims[0]!.user.id];
    return {
      forName(name: string): string[] {
        switch (name) {
          case 'orgId':
          case 'org_id':
            return [orgId];
          case 'groupId':
          case 'group_id':
            return [groupId];
          case 'userId':
          case 'user_id':
          case 'recipientId':
          case 'created_by':
            return users;
          case 'id':
            return op.path.startsWith('/api/v1/tasks')
              ? [taskId]
              : op.path.startsWith('/api/v1/users')
                ? users
                : [];
          case 'username':
            return [member.user.username];
          case 'email':
            return [member.user.email];
          default:
            return [];
        }
      },
    };
  };

  const callers = () =>
    fc.oneof(
      { arbitrary: fc.constant(member.token), weight: 6 },
      { arbitrary: fc.constant(admin.token), weight: 2 },
      { arbitrary: fc.constant(t.operatorToken), weight: 1 },
      { arbitrary: fc.constantFrom(undefined, 'garbage', `${member.token}x`), weight: 1 },
    );

  // A lone surrogate cannot be percent-encoded; a client would send U+FFFD in its place.
  const encodeSegment = (s: string) =>
    encodeURIComponent(
      s.replace(/[\ud800-\udfff]/g, (c, i: number) => (isPaired(s, i) ? c : '\ufffd')),
    );
  const isPaired = (s: string, i: number) => {
    const c = s.charCodeAt(i);
    return c < 0xdc00
      ? (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
      : (s.charCodeAt(i - 1) & 0xfc00) === 0xd800;
  };

  const asText = (v: unknown): string =>
    typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);

  function requestFor(op: Operation) {
    const pools = poolsFor(op);
    const params = (where: Parameter['in']) => {
      const ps = op.parameters.filter((p) => p.in === where);
      return fc.record(
        Object.fromEntries(ps.map((p) => [p.name, arbitraryFor(p.schema, resolve, pools, p.name)])),
        { requiredKeys: ps.filter((p) => p.required && where === 'path').map((p) => p.name) },
      );
    };
    const body = op.body
      ? fc.option(arbitraryFor(op.body, resolve, pools), { freq: 8, nil: undefined })
      : fc.constant(undefined);
    return fc.record({
      path: params('path'),
      query: params('query'),
      headers: params('header'),
      body,
      token: callers(),
    });
  }

  function urlOf(op: Operation, path: Record<string, unknown>, query: Record<string, unknown>) {
    const p = op.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeSegment(asText(path[k])));
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      for (const one of Array.isArray(v) ? v : [v]) qs.append(k, asText(one));
    const s = qs.toString();
    return s ? `${p}?${s}` : p;
  }

  function check(res: ApiResponse, what: string) {
    if (res.status >= 500) throw new Error(`${what} → ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status >= 400) {
      const b = res.body as { error?: unknown; code?: unknown };
      if (typeof b.error !== 'string' || typeof b.code !== 'string')
        throw new Error(`${what} → ${res.status} without {error, code}: ${JSON.stringify(b)}`);
    }
  }

  async function run(op: Operation, numRuns: number) {
    await fc.assert(
      fc.asyncProperty(requestFor(op), async (r) => {
        const url = urlOf(op, r.path, r.query);
        const headers = Object.fromEntries(
          Object.entries(r.headers).map(([k, v]) => [k, asText(v).replace(/[^\x20-\x7e]/g, '')]),
        );
        const res = await api(t, op.method, url, {
          ...(r.token !== undefined && { token: r.token }),
          ...(r.body !== undefined && { body: r.body }),
          headers,
        });
        check(res, `${op.method} ${url.slice(0, 300)} ${JSON.stringify(r.body)?.slice(0, 300)}`);
      }),
      fuzzParams(numRuns),
    );
  }

  it(`${TOTAL} generated requests: no 5xx, no error logged, heap stable`, async () => {
    const gc = gcFunction();
    const key = (op: Operation) => `${op.method} ${op.path}`;
    const slow = ops.filter((op) => HASHING.has(key(op)));
    const perOp = Math.floor((TOTAL - slow.length * HASHING_RUNS) / (ops.length - slow.length));
    const runsOf = (op: Operation) => (HASHING.has(key(op)) ? HASHING_RUNS : perOp);

    // A first pass warms every route (compiled validators, prepared statements, caches).
    const warm = 5;
    for (const op of ops) await run(op, warm);
    const before = settledHeapMb(gc);
    let sent = warm * ops.length;
    for (const op of ops) {
      await run(op, runsOf(op) - warm);
      sent += runsOf(op) - warm;
    }
    const after = settledHeapMb(gc);
    console.log(
      `fuzz-rest: ${sent} requests over ${ops.length} operations; heap ${before.toFixed(1)} → ${after.toFixed(1)} MB`,
    );
    expect(sent).toBeGreaterThanOrEqual(TOTAL - ops.length);
    expect(after - before, 'heap growth in MB').toBeLessThan(40);

    const health = await api(t, 'GET', '/api/v1/health');
    expect(health.status).toBe(200);
    const errors = logs.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message?: string } })
      .filter((l) => l.level >= 50);
    expect(errors.map((e) => `${e.msg}: ${e.err?.message ?? ''}`)).toEqual([]);
  }, 300_000);
});
