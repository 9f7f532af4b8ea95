/**
 * The container stack checked through nginx (run by scripts/test-containers.sh once the stack
 * is up): health, an org and users made with the operator token, group sockets spread over
 * both nodes receiving each other's messages, one node restarted and its clients resuming
 * with since_seq without a gap, the node's user not root, Redis AOF on. Exits non-zero with
 * the first failed check.
 */
import { exec, execSync } from 'node:child_process';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';

const BASE = process.env['ORGHUB_URL'] ?? 'http://127.0.0.1:18080';
const OP = need('ADMIN_TOKEN');
const COMPOSE = need('ORGHUB_COMPOSE');
const run = promisify(exec);

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`FAILED: ${what}`);
  console.log(`ok: ${what}`);
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

// Neither common nor containing the username or email (the password policy refuses those).
const passwordOf = (u: string) =>
  `tide-lantern-${u.length}-harbor-${u === 'alice' ? 'north' : 'south'}`;

interface Message {
  type: string;
  seq?: number;
  content?: string;
}

class Client {
  readonly seen: Message[] = [];
  ws!: WebSocket;
  closed!: Promise<number>;
  constructor(
    readonly name: string,
    private readonly token: string,
  ) {}

  async open(sinceSeq?: number): Promise<void> {
    const q = new URLSearchParams({ clientId: this.name, access_token: this.token });
    if (sinceSeq !== undefined) q.set('since_seq', String(sinceSeq));
    this.ws = new WebSocket(`${BASE.replace('http', 'ws')}/ws/orgs/ship/groups/eng?${q}`, {
      origin: BASE,
    });
    this.closed = new Promise((r) => this.ws.on('close', (code) => r(code)));
    this.ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as Message;
      if (m.type === 'message') this.seen.push(m);
    });
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  seqs(): number[] {
    return this.seen.map((m) => m.seq ?? -1);
  }

  has(content: string): boolean {
    return this.seen.some((m) => m.content === content);
  }
}

/** Open sockets per node, read from each node's own /metrics inside its container. */
function socketsPerNode(): number[] {
  return ['orghub-1', 'orghub-2'].map((svc) => {
    const out = execSync(
      `${COMPOSE} exec -T ${svc} node -e "fetch('http://127.0.0.1:8080/metrics').then(r=>r.text()).then(t=>console.log(t))"`,
      { encoding: 'utf8' },
    );
    const line = out.split('\n').find((l) => l.startsWith('orghub_ws_connections'));
    return Number(line?.split(' ').pop() ?? 0);
  });
}

async function main() {
  await until('GET /health through nginx', 180_000, async () => {
    const r = await fetch(`${BASE}/health`);
    return r.ok ? true : undefined;
  });
  check(true, 'GET /health through nginx answers 200');

  check(
    process.env['ORGHUB_NODE_USER'] !== '0',
    `the orghub container runs as uid ${process.env['ORGHUB_NODE_USER']}, not root`,
  );
  check(process.env['REDIS_AOF'] === 'yes', 'Redis has appendonly yes');

  await call('POST', '/api/v1/orgs', OP, { id: 'ship', name: 'Ship' });
  for (const u of ['alice', 'bob']) {
    await call('POST', '/api/v1/users', OP, {
      org_id: 'ship',
      username: u,
      email: `${u}@ship.test`,
      password: passwordOf(u),
      role: u === 'alice' ? 'admin' : 'member',
    });
  }
  await call('POST', '/api/v1/orgs/ship/groups', OP, { id: 'eng', name: 'Engineering' });
  check(true, 'an org, two users and a group created with the operator token');

  const token = async (u: string) =>
    String(
      (
        await call('POST', '/api/v1/auth/login', '', {
          org_id: 'ship',
          username: u,
          password: passwordOf(u),
        })
      )['access_token'],
    );
  const tokens = { alice: await token('alice'), bob: await token('bob') };

  // Enough sockets that nginx's round robin puts some on each node.
  const clients: Client[] = [];
  for (let i = 0; i < 6; i++) {
    const c = new Client(`c${i}`, i % 2 ? tokens.bob : tokens.alice);
    await c.open();
    clients.push(c);
  }
  const spread = await until('both nodes holding sockets', 20_000, async () => {
    const n = socketsPerNode();
    return n.every((x) => x > 0) && n[0]! + n[1]! >= clients.length ? n : undefined;
  });
  check(true, `sockets on both nodes through nginx: ${spread.join(' + ')}`);

  for (const [i, c] of clients.entries()) c.ws.send(JSON.stringify({ content: `hello ${i}` }));
  await until('every socket to receive every message', 20_000, async () =>
    clients.every((c) => clients.every((_, i) => c.has(`hello ${i}`))) ? true : undefined,
  );
  check(true, 'every socket received every other socket’s message, across both nodes');

  // Restart orghub-1: its sockets close (1001), reconnect through nginx with since_seq and
  // must get what was sent meanwhile, in order, without a gap.
  // Asynchronously, so the close frames are read while docker-compose restarts the node.
  await run(need('ORGHUB_RESTART'));
  await until('the restarted node’s sockets to close', 10_000, async () =>
    clients.some((c) => c.ws.readyState === WebSocket.CLOSED) ? true : undefined,
  );
  const lost = clients.filter((c) => c.ws.readyState !== WebSocket.OPEN);
  check(lost.length > 0, `${lost.length} sockets dropped by the restarted node`);
  const survivor = clients.find((c) => c.ws.readyState === WebSocket.OPEN);
  if (!survivor) throw new Error('no socket survived on the other node');
  for (let i = 0; i < 5; i++) survivor.ws.send(JSON.stringify({ content: `during ${i}` }));
  await until('the survivor to see its messages', 20_000, async () =>
    survivor.has('during 4') ? true : undefined,
  );
  for (const c of lost) {
    const last = Math.max(...c.seqs());
    await until(`${c.name} to reconnect`, 60_000, async () => {
      await c.open(last);
      return true;
    });
  }
  await until('resumed sockets to catch up', 30_000, async () =>
    lost.every((c) => c.has('during 4')) ? true : undefined,
  );
  for (const c of clients) {
    const s = c.seqs();
    const gapless = s.every((v, i) => i === 0 || v === s[i - 1]! + 1);
    check(
      gapless && s.length === 11,
      `${c.name}: seq ${s[0]}..${s[s.length - 1]}, ${s.length} messages, no gap, no duplicate`,
    );
  }
  for (const c of clients) c.ws.close();
  console.log('all container checks passed');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
