import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createOrg,
  createUser,
  startApp,
  type Fixture,
  type TestApp,
} from '../helpers/app.js';
import { connect } from './socket-client.js';

/** A WebSocket client written by hand, so that it can break the protocol on purpose. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly ended: Promise<void>;

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => {});
    this.ended = new Promise((resolve) => sock.on('close', () => resolve()));
  }

  static async open(url: URL, token: string): Promise<RawClient> {
    const sock = net.connect(Number(url.port), url.hostname);
    const c = new RawClient(sock);
    sock.write(
      [
        `GET ${url.pathname} HTTP/1.1`,
        `Host: ${url.host}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        `Authorization: Bearer ${token}`,
        '',
        '',
      ].join('\r\n'),
    );
    await c.waitFor(() => c.buf.indexOf('\r\n\r\n') >= 0);
    const end = c.buf.indexOf('\r\n\r\n');
    const head = c.buf.subarray(0, end).toString();
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    c.buf = c.buf.subarray(end + 4);
    return c;
  }

  private async waitFor(cond: () => boolean, ms = 10_000) {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Server frames are unmasked: [opcode, payload] pairs parsed from the stream. */
  private frames(): Array<{ opcode: number; payload: Buffer }> {
    const out = [];
    let b = this.buf;
    while (b.length >= 2) {
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b.length < off + len) break;
      out.push({ opcode: b[0]! & 0x0f, payload: b.subarray(off, off + len) });
      b = b.subarray(off + len);
    }
    return out;
  }

  /** The code of the server's close frame. */
  async closeCode(): Promise<number> {
    let code = -1;
    await this.waitFor(() => {
      const close = this.frames().find((f) => f.opcode === 8);
      if (close) code = close.payload.readUInt16BE(0);
      return close !== undefined;
    });
    return code;
  }

  /** Writes a frame exactly as given (masked with a random key unless `mask` is false). */
  send(opts: {
    opcode: number;
    payload: Buffer;
    mask?: boolean;
    fin?: boolean;
    lengthOverride?: bigint;
  }) {
    const mask = opts.mask ?? true;
    const len = opts.lengthOverride ?? BigInt(opts.payload.length);
    const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | opts.opcode];
    const m = mask ? 0x80 : 0;
    if (len < 126n) head.push(m | Number(len));
    else if (len < 65536n) head.push(m | 126, Number(len >> 8n) & 0xff, Number(len) & 0xff);
    else {
      head.push(m | 127);
      const l = Buffer.alloc(8);
      l.writeBigUInt64BE(len);
      head.push(...l);
    }
    let body = opts.payload;
    const parts: Buffer[] = [Buffer.from(head)];
    if (mask) {
      const key = randomBytes(4);
      body = Buffer.from(body.map((byte, i) => byte ^ key[i % 4]!));
      parts.push(key);
    }
    parts.push(body);
    this.sock.write(Buffer.concat(parts));
  }
}

describe('malformed frames over a raw TCP socket', () => {
  let t: TestApp;
  let orgId: string;
  let alice: Fixture;
  let url: URL;

  beforeAll(async () => {
    t = await startApp();
    orgId = (await createOrg(t)).id;
    alice = await createUser(t, orgId);
    await api(t, 'POST', `/api/v1/orgs/${orgId}/groups`, {
      token: alice.token,
      body: { id: 'general', name: 'General' },
    });
    url = new URL(`${t.wsUrl}/ws/orgs/${orgId}/groups/general`);
  });
  afterAll(() => t.close());

  const cases: Array<[string, Parameters<RawClient['send']>[0], number]> = [
    [
      'an unmasked client frame',
      { opcode: 1, payload: Buffer.from('{"content":"x"}'), mask: false },
      1002,
    ],
    ['text that is not UTF-8', { opcode: 1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, 1007],
    ['a reserved opcode', { opcode: 3, payload: Buffer.from('hi') }, 1002],
    ['a reserved control opcode', { opcode: 0xb, payload: Buffer.from('hi') }, 1002],
    [
      'a frame announcing more than the hard limit',
      { opcode: 1, payload: Buffer.from('x'), lengthOverride: 1n << 20n },
      1009,
    ],
    ['a fragmented ping', { opcode: 9, payload: Buffer.from('x'), fin: false }, 1002],
  ];

  for (const [what, frame, code] of cases) {
    it(`closes the socket on ${what} with ${code}; the server serves others on`, async () => {
      const bystander = await connect(t, orgId, 'general', alice.token);
      const raw = await RawClient.open(url, alice.token);
      raw.send(frame);
      expect(await raw.closeCode()).toBe(code);
      raw.sock.destroy();
      bystander.send({ content: `still here after ${what}` });
      await bystander.next((f) => f.type === 'message' && f.content === `still here after ${what}`);
      await bystander.close();
    });
  }

  it('a client that vanishes mid-handshake or mid-frame costs nothing', async () => {
    const half = net.connect(Number(url.port), url.hostname);
    half.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n`);
    half.destroy();
    const raw = await RawClient.open(url, alice.token);
    raw.sock.write(Buffer.from([0x81, 0xfe, 0x01])); // a header cut short
    raw.sock.destroy();
    await raw.ended;
    const res = await api(t, 'GET', '/health');
    expect(res.status).toBe(200);
    const s = await connect(t, orgId, 'general', alice.token);
    s.send({ type: 'ping' });
    await s.next((f) => f.type === 'pong');
    await s.close();
  });
});
