import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  captureLogs,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { openWorkspace, type WorkspaceSocket } from '../workspace/ws-client.js';

/**
 * Issue 16, defect 6: numbers past PostgreSQL's bigint, instants PostgreSQL or JS Date cannot
 * hold and cursors with impossible dates answered 500 with a stack in the log. Every integer,
 * timestamp and cursor field of the REST routes and the `/ws` frames is sent its edge values
 * here; each must answer 400 naming the field (an `error` frame on `/ws`), and nothing a
 * client sent may reach the log as an error.
 */

const cursorOf = (c: unknown) => Buffer.from(JSON.stringify(c)).toString('base64url');
const UUID = '00000000-0000-4000-8000-000000000000';

/** Out-of-range numbers as a query string carries them. */
const BAD_SEQS = [
  '9223372036854775807',
  '9223372036854775808',
  '99999999999999999999',
  '1e20',
  '9007199254740992', // 2^53: past what a JS number holds exactly
  'Infinity',
  '-1',
];
const BAD_UNIX = [
  '253402300800', // 10000-01-01T00:00:00Z
  '253370764801', // a second past 9999-01-01T00:00:00Z
  '-62167219200', // 0000-01-01T00:00:00Z
  '8639999999999',
  '8640000000001', // past JS Date
  '1e20',
  'Infinity',
  '-Infinity',
  '-1',
];
const BAD_LIMITS = ['1e20', '99999999999999999999', 'Infinity', '-Infinity'];
const BAD_INSTANTS = [
  '0000-01-01T00:00:00.000Z',
  '0000-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '9999-12-31T23:00:00-05:00', // year 10000 in UTC
  '9999-01-01T00:00:00.001Z',
  '2016-12-31T23:59:60Z', // a leap second: RFC 3339 allows it, JS Date does not
  '2026-02-30T00:00:00.000Z',
  '2026-13-01T00:00:00.000Z',
];

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  field: string;
}

describe('bounded integers, timestamps and cursors (issue 16, defect 6)', () => {
  let t: TestApp;
  let member: Fixture;
  let orgId: string;
  const groupId = 'bounds';
  let taskId: string;
  const logs = captureLogs();

  beforeAll(async () => {
    t = await startApp({ config: { logLevel: 'info' }, logStream: logs.stream });
    orgId = (await createOrg(t)).id;
    member = await createUser(t, orgId);
    const g = await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: member.token,
      body: { id: groupId, name: 'Bounds' },
    });
    expect(g.status).toBe(201);
    const task = await api<{ id: string }>(t, 'POST', `/api/v1/users/${member.user.id}/tasks`, {
      token: member.token,
      body: { title: 'bounded' },
    });
    expect(task.status).toBe(201);
    taskId = task.body.id;
  });
  afterAll(() => t.close());

  const group = () => `/api/v1/orgs/${orgId}/groups/${groupId}`;
  const cases = (): Case[] => {
    const out: Case[] = [];
    const get = (name: string, path: string, field: string) =>
      out.push({ name, method: 'GET', path, field });
    for (const v of BAD_SEQS) {
      get(`before_seq=${v}`, `${group()}/messages?before_seq=${v}`, 'query.before_seq');
      get(`after_seq=${v}`, `${group()}/messages/after?after_seq=${v}`, 'query.after_seq');
    }
    for (const v of ['1e20', '9223372036854775807', '9007199254740992', '-1', '1e400'])
      out.push({
        name: `read seq ${v}`,
        method: 'PUT',
        path: `${group()}/read`,
        rawBody: `{"seq":${v}}`,
        field: 'body.seq',
      });
    for (const v of BAD_UNIX) {
      get(`after=${v}`, `${group()}/messages/after?after=${v}`, 'query.after');
      get(`between end=${v}`, `${group()}/messages/between?start=0&end=${v}`, 'query.end');
      get(`between start=${v}`, `${group()}/messages/between?start=${v}&end=1`, 'query.start');
    }
    for (const v of BAD_LIMITS) {
      get(`messages limit=${v}`, `${group()}/messages?limit=${v}`, 'query.limit');
      get(`after limit=${v}`, `${group()}/messages/after?after_seq=0&limit=${v}`, 'query.limit');
      get(`broadcasts limit=${v}`, `/api/v1/orgs/${orgId}/broadcasts?limit=${v}`, 'query.limit');
      get(`tasks limit=${v}`, `/api/v1/orgs/${orgId}/tasks?limit=${v}`, 'query.limit');
      get(`notifications limit=${v}`, `/api/v1/notifications?limit=${v}`, 'query.limit');
    }
    for (const v of ['1e20', 'Infinity', '-1'])
      get(
        `due-soon hours=${v}`,
        `/api/v1/users/${member.user.id}/tasks/due-soon?hours=${v}`,
        'query.hours',
      );
    for (const v of BAD_INSTANTS) {
      const q = encodeURIComponent(v);
      get(`due_before=${v}`, `/api/v1/orgs/${orgId}/tasks?due_before=${q}`, 'query.due_before');
      get(`due_after=${v}`, `/api/v1/orgs/${orgId}/tasks?due_after=${q}`, 'query.due_after');
      const tasks = `/api/v1/users/${member.user.id}/tasks`;
      out.push({
        name: `create due_date ${v}`,
        method: 'POST',
        path: tasks,
        body: { title: 'x', due_date: v },
        field: 'body.due_date',
      });
      out.push({
        name: `create reminder at ${v}`,
        method: 'POST',
        path: tasks,
        body: { title: 'x', reminders: [{ at: v }] },
        field: 'body.reminders.0.at',
      });
      out.push({
        name: `update due_date ${v}`,
        method: 'PUT',
        path: `/api/v1/tasks/${taskId}`,
        body: { due_date: v },
        field: 'body.due_date',
      });
      out.push({
        name: `update reminder at ${v}`,
        method: 'PUT',
        path: `/api/v1/tasks/${taskId}`,
        body: { reminders: [{ at: v }] },
        field: 'body.reminders.0.at',
      });
    }
    // Cursors are opaque, but a client can make one: every key it carries is checked.
    const sorted = (sort: string, k: unknown) =>
      `/api/v1/orgs/${orgId}/tasks?sort=${sort}&cursor=${cursorOf({ s: sort, k, i: UUID })}`;
    for (const k of BAD_INSTANTS.filter((v) => v.endsWith('.000Z'))) {
      get(`cursor created_at ${k}`, sorted('-created_at', k), 'query.cursor');
      get(`cursor due_date ${k}`, sorted('due_date', k), 'query.cursor');
      get(`cursor updated_at ${k}`, sorted('updated_at', k), 'query.cursor');
      get(
        `relevance cursor ${k}`,
        `/api/v1/orgs/${orgId}/tasks?q=bounded&cursor=${cursorOf({ s: 'relevance', p: 0, t: [k, UUID, 'le'], k: 1, c: k, i: UUID })}`,
        'query.cursor',
      );
    }
    for (const k of [1e300, -1, 0.5, 5])
      get(`priority cursor ${k}`, sorted('priority', k), 'query.cursor');
    return out;
  };

  it('answers 400 naming the field for every out-of-range input, never 5xx', async () => {
    const wrong: string[] = [];
    for (const c of cases()) {
      const r = await api<{ error?: string; code?: string }>(t, c.method, c.path, {
        token: member.token,
        ...(c.body !== undefined && { body: c.body }),
        ...(c.rawBody !== undefined && {
          rawBody: c.rawBody,
          headers: { 'content-type': 'application/json' },
        }),
      });
      const named = typeof r.body.error === 'string' && r.body.error.includes(c.field);
      if (r.status !== 400 || r.body.code !== 'bad_request' || !named)
        wrong.push(`${c.name}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('accepts the edges of the ranges', async () => {
    const ok = [
      `${group()}/messages?before_seq=9007199254740991`,
      `${group()}/messages/after?after_seq=9007199254740991`,
      `${group()}/messages/after?after=0`,
      `${group()}/messages/after?after=253370764800`,
      `${group()}/messages/between?start=0&end=253370764800`,
      `${group()}/messages?limit=0`, // the seed's limit is clamped, not refused
      `${group()}/messages?limit=5000`,
      `/api/v1/orgs/${orgId}/tasks?due_before=9999-01-01T00:00:00.000Z&due_after=1970-01-01T00:00:00.000Z`,
    ];
    for (const path of ok)
      expect({ path, status: (await api(t, 'GET', path, { token: member.token })).status }).toEqual(
        { path, status: 200 },
      );
    const edge = await api<{ due_date: string }>(t, 'PUT', `/api/v1/tasks/${taskId}`, {
      token: member.token,
      body: { due_date: '9999-01-01T00:00:00.000Z', reminders: [{ at: '1970-01-01T00:00:00Z' }] },
    });
    expect(edge.status).toBe(200);
    expect(edge.body.due_date).toBe('9999-01-01T00:00:00.000Z');
    const read = await api(t, 'PUT', `${group()}/read`, {
      token: member.token,
      body: { seq: 9007199254740991 },
    });
    expect(read.status).toBe(200);
  });

  describe('on /ws', () => {
    let ws: WorkspaceSocket;
    beforeAll(async () => {
      ws = await openWorkspace(t, member.token);
    });
    afterAll(() => ws.close());

    it('answers an error frame naming the field, and keeps the socket open', async () => {
      const frames: Array<[Record<string, unknown>, string]> = [];
      for (const v of [1e20, 2 ** 63, 2 ** 53, -1, 0.5]) {
        frames.push([{ type: 'subscribe', group_id: groupId, since_seq: v }, 'since_seq']);
        frames.push([{ type: 'history', group_id: groupId, before_seq: v }, 'before_seq']);
        frames.push([{ type: 'read', group_id: groupId, seq: v }, 'seq']);
        frames.push([{ type: 'history', group_id: groupId, limit: v }, 'limit']);
      }
      const wrong: string[] = [];
      for (const [frame, field] of frames) {
        const reply = await ws.request(frame);
        if (reply.type !== 'error' || reply['code'] !== 'bad_request')
          wrong.push(`${JSON.stringify(frame)}: ${JSON.stringify(reply)}`);
        else if (!String(reply['message']).includes(field))
          wrong.push(
            `${JSON.stringify(frame)}: does not name ${field}: ${String(reply['message'])}`,
          );
      }
      // 1e400 is Infinity once parsed: only raw text can carry it.
      ws.send(`{"type":"read","req":"inf","group_id":"${groupId}","seq":1e400}`);
      const inf = await ws.next((f) => f.req === 'inf');
      expect(inf['code']).toBe('bad_request');
      expect(wrong).toEqual([]);
      expect((await ws.request({ type: 'ping' })).type).toBe('pong');
    });
  });

  it('logged no error for any of it', () => {
    const errors = logs.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { stack?: string } })
      .filter((l) => l.level >= 50 || l.err?.stack !== undefined);
    expect(errors.map((e) => `${e.msg} ${e.err?.stack?.split('\n')[0] ?? ''}`)).toEqual([]);
  });
});
