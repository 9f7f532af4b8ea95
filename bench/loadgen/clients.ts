import { io, type Socket as SioSocket } from 'socket.io-client';
import WebSocket from 'ws';
import type { SocketSpec, Wire } from './protocol.js';

/**
 * One benchmark socket, whatever the wire. Both wires carry the same content string
 * `<runId>|<senderIndex>|<sendTimeMs>|<padding>`, so the generator measures every server the
 * same way; only the framing differs (ws: `{"content": ...}` text frames, relayed verbatim by
 * the ws relay and wrapped in a message event by OrgHub; Socket.IO: a `msg` event).
 */
export interface BenchSocket {
  readonly index: number;
  readonly spec: SocketSpec;
  readonly isOpen: boolean;
  /** The highest group `seq` seen on this socket (OrgHub frames only; 0 otherwise). */
  lastSeq: number;
  open(url: string, timeoutMs: number): Promise<void>;
  send(content: string): void;
  close(): void;
}

export interface SocketEvents {
  /** A frame carrying benchmark content arrived. `content` starts at the run id. */
  onContent(sock: BenchSocket, content: string): void;
  /** An error frame arrived (OrgHub). */
  onErrorFrame(sock: BenchSocket, code: string): void;
  onOpen(sock: BenchSocket): void;
  onClose(sock: BenchSocket): void;
}

const CONTENT_KEY = Buffer.from('"content":"');
const SEQ_KEY = Buffer.from('"seq":');
const ERROR_TYPE = Buffer.from('"type":"error"');
/** Enough of the content to hold the run id, sender index and timestamp. */
const CONTENT_HEAD = 48;

function readSeq(buf: Buffer): number {
  const at = buf.indexOf(SEQ_KEY);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + SEQ_KEY.length; i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

class WsBenchSocket implements BenchSocket {
  lastSeq = 0;
  private ws: WebSocket | undefined;
  constructor(
    readonly index: number,
    readonly spec: SocketSpec,
    private readonly events: SocketEvents,
  ) {}

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  open(url: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      this.ws = ws;
      let settled = false;
      ws.on('open', () => {
        settled = true;
        this.events.onOpen(this);
        resolve();
      });
      ws.on('unexpected-response', (_req, res) => {
        settled = true;
        reject(new Error(`HTTP ${res.statusCode} on upgrade`));
        ws.terminate();
      });
      ws.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        }
      });
      ws.on('close', () => {
        if (settled) this.events.onClose(this);
      });
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) return;
        const seq = readSeq(data);
        if (seq > this.lastSeq) this.lastSeq = seq;
        const at = data.indexOf(CONTENT_KEY);
        if (at >= 0) {
          const start = at + CONTENT_KEY.length;
          this.events.onContent(this, data.toString('latin1', start, start + CONTENT_HEAD));
        } else if (data.indexOf(ERROR_TYPE) >= 0) {
          const frame = JSON.parse(data.toString()) as { code?: string };
          this.events.onErrorFrame(this, frame.code ?? 'unknown');
        }
      });
    });
  }

  send(content: string): void {
    this.ws?.send(`{"content":"${content}"}`);
  }

  close(): void {
    this.ws?.terminate();
  }
}

class SioBenchSocket implements BenchSocket {
  lastSeq = 0;
  private socket: SioSocket | undefined;
  constructor(
    readonly index: number,
    readonly spec: SocketSpec,
    private readonly events: SocketEvents,
  ) {}

  get isOpen(): boolean {
    return this.socket?.connected ?? false;
  }

  open(url: string, timeoutMs: number): Promise<void> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = io(u.origin, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: timeoutMs,
        query: { room: u.searchParams.get('room') ?? 'room' },
      });
      this.socket = socket;
      socket.once('connect', () => {
        this.events.onOpen(this);
        resolve();
      });
      socket.once('connect_error', (err) => reject(err));
      socket.on('disconnect', () => this.events.onClose(this));
      socket.on('msg', (content: string) => this.events.onContent(this, content));
    });
  }

  send(content: string): void {
    this.socket?.emit('msg', content);
  }

  close(): void {
    this.socket?.disconnect();
  }
}

export function createSocket(
  wire: Wire,
  index: number,
  spec: SocketSpec,
  events: SocketEvents,
): BenchSocket {
  return wire === 'ws'
    ? new WsBenchSocket(index, spec, events)
    : new SioBenchSocket(index, spec, events);
}
