import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { GroupSocket, WorkspaceSocket, type TokenSource } from '../src/index.js';
import { closeVerdict } from '../src/connect.js';
import { WS } from './workspace-helpers.js';

const BASE = 50;
const CAP = 5000;
const DROPS = 8;
const tokens: TokenSource = { accessToken: async () => 'token', refresh: async () => 'token' };

/**
 * A server that accepts every connection and drops it at once (a crash loop behind a
 * proxy, say). Opening is not success: the backoff must keep growing, not restart from its
 * first step at each open.
 */
describe('backoff when the server accepts and drops at once', () => {
  let wss: WebSocketServer;
  let url: string;
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => ws.close(1011, 'crash loop'));
    url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => wss.close(() => r())));

  interface Reconnecting {
    on(ev: 'disconnected', fn: (d: { retryInMs: number | null }) => void): unknown;
    connect(): unknown;
    close(): void;
  }
  const delaysOf = (s: Reconnecting) =>
    new Promise<number[]>((resolve) => {
      const delays: number[] = [];
      s.on('disconnected', (d) => {
        delays.push(d.retryInMs ?? -1);
        if (delays.length === DROPS) {
          s.close();
          resolve(delays);
        }
      });
      s.connect();
    });

  // Restarting at the first step would keep every delay below BASE; growing, the later ones
  // are drawn from up to BASE·2^k, and all of them staying below BASE is vanishingly rare.
  it('the workspace socket backs off further at each drop', async () => {
    const s = new WorkspaceSocket({
      baseUrl: url,
      tokens,
      WebSocket: WS,
      backoffBaseMs: BASE,
      backoffCapMs: CAP,
      pingIntervalMs: 0,
    });
    const delays = await delaysOf(s);
    expect(Math.max(...delays.slice(3))).toBeGreaterThan(BASE);
  });

  it('the group socket too', async () => {
    const s = new GroupSocket({
      baseUrl: url,
      orgId: 'o',
      groupId: 'g',
      tokens,
      WebSocket: WS,
      backoffBaseMs: BASE,
      backoffCapMs: CAP,
    });
    const delays = await delaysOf(s);
    expect(Math.max(...delays.slice(3))).toBeGreaterThan(BASE);
  });
});

describe('what a closed connection means', () => {
  it('reads a refusal from ws’s "Unexpected server response", never from a port number', () => {
    const refused = 'connect ECONNREFUSED 127.0.0.1:40312';
    expect(closeVerdict(1006, refused, false, 0)).toEqual({ refresh: false, final: null });
    expect(closeVerdict(1006, 'connect ECONNREFUSED 127.0.0.1:40199', false, 0).refresh).toBe(
      false,
    );
    expect(closeVerdict(1006, 'Unexpected server response: 403', false, 0).final).toBe('refused');
    expect(closeVerdict(1006, 'Unexpected server response: 404', false, 0).final).toBe('refused');
    expect(closeVerdict(1006, 'Unexpected server response: 401', false, 0)).toEqual({
      refresh: true,
      final: null,
    });
    expect(closeVerdict(1006, 'Unexpected server response: 503', false, 0).final).toBeNull();
  });

  it('4003 ends for good, 4001 refreshes, 1008 is refused; a second blind failure refreshes', () => {
    expect(closeVerdict(4003, '', true, 0).final).toBe('session_ended');
    expect(closeVerdict(4001, '', true, 0)).toEqual({ refresh: true, final: null });
    expect(closeVerdict(1008, '', true, 0).final).toBe('refused');
    expect(closeVerdict(1006, '', false, 1)).toEqual({ refresh: true, final: null });
    expect(closeVerdict(1001, '', true, 0)).toEqual({ refresh: false, final: null });
  });
});
