import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Frame } from './out-frame.js';
import { wireOf } from './out-frame.js';
import { corkForThisTurn } from './wire.js';

/**
 * Where a subscription writes: the socket itself, or a protocol's adapter in front of it
 * (a filter, a reshaping). Guarantees of every implementation:
 * - `send` writes the frame after every frame sent before it, or drops it; it returns the
 *   bytes written (0 when dropped) and calls `sent` exactly once, when the bytes have left
 *   for the kernel or at once when dropped. It never throws.
 * - `bufferedAmount` is what was written and not yet taken by the kernel: the backpressure
 *   signal (a replay waits for `sent`; typing is dropped first).
 * - `close` ends the stream of frames with a WebSocket close code; later sends are dropped.
 */
export interface Sink {
  send(frame: Frame, sent?: () => void): number;
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
}

/** How long a socket closed for its backlog may take to take its close frame. */
const BACKLOG_CLOSE_GRACE_MS = 5000;

export interface SocketSinkOptions {
  /** Past this many buffered bytes the socket is cut off (1013): a slow reader alone. */
  maxBacklogBytes: number;
  /** The reason of that 1013 (it tells the client how to resume). */
  backlogReason: string;
  /** Told once, when the backlog bound closes the socket. */
  onBacklog(): void;
}

/**
 * The one writer to a WebSocket. Prepared frames (header + data, built once per fan-out) go
 * straight to the TCP socket, corked until the end of this turn so that a replay page or a
 * burst leaves in one syscall; ws keeps no queue of its own without compression, so order
 * with its pings and closes holds.
 */
export class SocketSink implements Sink {
  private closed = false;
  /** The code this server closed with (the close event reports the peer's answer). */
  closeCode: number | undefined;

  constructor(
    readonly ws: WebSocket,
    /** The TCP socket the upgrade came on (the one ws writes to). */
    private readonly raw: Socket | undefined,
    private readonly opts: SocketSinkOptions,
  ) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(frame: Frame, sent?: () => void): number {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) {
      sent?.();
      return 0;
    }
    if (this.raw) {
      corkForThisTurn(this.raw);
      this.raw.write(wireOf(frame), sent);
    } else {
      this.ws.send(frame.data, { binary: false, compress: false, fin: true }, sent);
    }
    if (this.ws.bufferedAmount > this.opts.maxBacklogBytes) this.overflow();
    return frame.data.length;
  }

  /** A slow reader is cut off alone: it stops receiving at once and gets 1013. */
  overflow(reason = this.opts.backlogReason): void {
    if (this.closed) return;
    this.opts.onBacklog();
    this.close(1013, reason);
    setTimeout(() => this.ws.terminate(), BACKLOG_CLOSE_GRACE_MS).unref();
  }

  /** Closes with a code of ours, remembered for the disconnect metrics. Idempotent. */
  close(code: number, reason: string): void {
    this.closeCode ??= code;
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
  }

  /** Ends the connection without a close handshake (a dead peer). */
  terminate(code: number): void {
    this.closeCode ??= code;
    this.closed = true;
    this.ws.terminate();
  }
}
