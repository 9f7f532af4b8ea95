import fc from 'fast-check';
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
import { connect, type TestSocket } from '../messaging/socket-client.js';
import { openWorkspace, type WorkspaceSocket } from '../workspace/ws-client.js';
import { WorkspaceClientFrame } from '../../src/protocol/workspace.js';
import {
  arbitraryFor,
  fuzzParams,
  gcFunction,
  nasty,
  settledHeapMb,
  type JsonSchema,
} from './schema-arbitrary.js';

/**
 * Fuzzing both sockets with frames generated from their schemas (the `/ws` client frames of
 * src/protocol/workspace.ts; the group socket's `{type?, content, client_msg_id?}`), mixed with
 * text that is not JSON, JSON that is not an object, and binary frames. Whatever arrives: no
 * close with 1011 (server error), no error logged, the socket answers a ping after every
 * batch, the server stays up and its heap does not grow. FUZZ_SEED replays, FUZZ_SCALE scales.
 */

const SCALE = Number(process.env['FUZZ_SCALE'] ?? '1');
const BATCH = 20;
/** Frames per CI run: 3,000 on `/ws`, 1,000 on the group socket (6,000 REST requests besides). */
const WS_FRAMES = 3000 * SCALE;
const GROUP_FRAMES = 1000 * SCALE;

const GroupClientFrame: JsonSchema = {
  type: 'object',
  properties: {
    type: { enum: ['message', 'ping'] },
    content: { type: 'string', maxLength: 200 },
    client_msg_id: { type: 'string', minLength: 1, maxLength: 64 },
    client_id: { type: 'string' },
    org_id: { type: 'string' },
  },
  required: ['content'],
};

/** A frame as sent: schema-made JSON mostly, and now and then something no parser expects. */
const wireFrame = (frame: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: frame.map((f) => JSON.stringify(f)), weight: 12 },
    { arbitrary: nasty.map((v) => JSON.stringify(v) ?? 'undefined'), weight: 1 },
    {
      arbitrary: fc.oneof(
        fc.string({ maxLength: 50 }),
        fc.constantFrom('{', '{"type":', '[]', 'null', '{"type":"publish"}'.repeat(3)),
      ),
      weight: 1,
    },
    { arbitrary: fc.uint8Array({ maxLength: 40 }), weight: 1 },
  );

describe('fuzzing the sockets from their frame schemas', () => {
  let t: TestApp;
  let orgId: string;
  let member: Fixture;
  const groupId = 'fuzz';
  const logs = captureLogs();
  const closes: number[] = [];
  const replies = new Map<string, number>();

  beforeAll(async () => {
    // Rate limits would answer most frames `rate_limited` and leave the parsers untried.
    t = await startApp({
      config: { logLevel: 'warn', wsRateLimit: 100_000 },
      logStream: logs.stream,
    });
    orgId = (await createOrg(t)).id;
    member = await createUser(t, orgId);
    await createUser(t, orgId);
    expect(
      (
        await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
          token: member.token,
          body: { id: groupId, name: 'Fuzz' },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const pools = {
    forName: (name: string) =>
      name === 'group_id' ? [groupId, `dm-${'0'.repeat(20)}`, 'nope'] : [],
  };
  const noRefs = (ref: string): JsonSchema => {
    throw new Error(`frame schemas have no $ref: ${ref}`);
  };

  function track<S extends TestSocket>(s: S): S {
    void s.closed.then(({ code }) => {
      closes.push(code);
      for (const f of s.frames) {
        const k = f.type === 'error' ? `error:${String(f['code'])}` : f.type;
        replies.set(k, (replies.get(k) ?? 0) + 1);
      }
    });
    return s;
  }
  const isOpen = (s: TestSocket) => s.ws.readyState === s.ws.OPEN;
  const send = (s: TestSocket, f: string | Uint8Array) => s.ws.send(f);

  function checkLogs() {
    const errors = logs.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message?: string } })
      .filter((l) => l.level >= 50);
    expect(errors.map((e) => `${e.msg}: ${e.err?.message ?? ''}`)).toEqual([]);
    expect(closes.filter((c) => c === 1011 || c === 1006)).toEqual([]);
  }

  it(`${WS_FRAMES} generated /ws frames: no 1011, a pong after every batch, heap stable`, async () => {
    const gc = gcFunction();
    let ws: WorkspaceSocket = track(await openWorkspace(t, member.token));
    let n = 0;
    const batches = fc.array(
      wireFrame(arbitraryFor(schemaOf(WorkspaceClientFrame), noRefs, pools)),
      {
        minLength: BATCH,
        maxLength: BATCH,
      },
    );
    const runBatches = async (runs: number) =>
      fc.assert(
        fc.asyncProperty(batches, async (frames) => {
          if (!isOpen(ws)) ws = track(await openWorkspace(t, member.token));
          for (const f of frames) send(ws, f);
          const req = `sync-${++n}`;
          const from = ws.frames.length;
          ws.send({ type: 'ping', req });
          // The socket either answers, or closed for a reason of the client's (asserted below).
          await Promise.race([ws.next((f) => f.req === req, from), ws.closed]);
        }),
        fuzzParams(runs),
      );
    await runBatches(5);
    const before = settledHeapMb(gc);
    await runBatches(WS_FRAMES / BATCH - 5);
    const after = settledHeapMb(gc);
    console.log(
      `fuzz-ws: ${WS_FRAMES} /ws frames; closes ${JSON.stringify(closes)}; heap ${before.toFixed(1)} → ${after.toFixed(1)} MB`,
    );
    expect(after - before, 'heap growth in MB').toBeLessThan(30);
    if (!isOpen(ws)) ws = track(await openWorkspace(t, member.token));
    expect((await ws.request({ type: 'ping' })).type).toBe('pong');
    await ws.close();
    checkLogs();
  }, 120_000);

  it(`${GROUP_FRAMES} generated group-socket frames: no 1011, pongs answered`, async () => {
    let s = track(await connect(t, orgId, groupId, member.token));
    let pings = 0;
    const pongs = () => s.frames.filter((f) => f.type === 'pong').length;
    const batches = fc.array(wireFrame(arbitraryFor(GroupClientFrame, noRefs, pools)), {
      minLength: BATCH,
      maxLength: BATCH,
    });
    await fc.assert(
      fc.asyncProperty(batches, async (frames) => {
        if (!isOpen(s)) {
          const code = (await s.closed).code;
          s = track(
            await connect(t, orgId, groupId, member.token).catch((err: unknown) => {
              const e = err as { status?: number; body?: unknown };
              throw new Error(
                `reconnecting after close ${code}: ${e.status ?? String(err)} ${JSON.stringify(e.body)}`,
              );
            }),
          );
          pings = 0;
        }
        for (const f of frames) {
          send(s, f);
          if (typeof f === 'string' && isPing(f)) pings++;
        }
        send(s, '{"type":"ping"}');
        const want = ++pings;
        await Promise.race([s.until(() => pongs() >= want), s.closed]);
      }),
      fuzzParams(GROUP_FRAMES / BATCH),
    );
    await s.close();
    // What the frames reached, so a fuzzer stuck at the validator shows: replies by kind.
    console.log(
      `fuzz-group-socket: ${GROUP_FRAMES} frames; closes ${JSON.stringify(closes)}; replies on both sockets ${JSON.stringify(Object.fromEntries(replies))}`,
    );
    checkLogs();
  }, 120_000);
});

/** TypeBox schemas are JSON Schema; this only drops TypeBox's symbol keys from the type. */
function schemaOf(s: object): JsonSchema {
  return JSON.parse(JSON.stringify(s)) as JsonSchema;
}

function isPing(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'ping';
  } catch {
    return false;
  }
}
