import { stringField, textOf, type Frame } from '../engine/out-frame.js';
import type { Sink } from '../engine/sink.js';

/**
 * Messages this socket published and has not seen in its streams yet, by message id → the
 * `req` of the publish. The reply to a publish is the message event itself, with `req`, in its
 * seq position: never ahead of earlier seqs, never twice.
 */
export class PendingReplies {
  private readonly byId = new Map<string, string>();
  get size(): number {
    return this.byId.size;
  }
  expect(messageId: string, req: string): void {
    this.byId.set(messageId, req);
  }
  has(messageId: string): boolean {
    return this.byId.has(messageId);
  }
  /** The req waiting for this message, taken (once). */
  take(messageId: string): string | undefined {
    const req = this.byId.get(messageId);
    if (req !== undefined) this.byId.delete(messageId);
    return req;
  }
  forget(messageId: string): boolean {
    return this.byId.delete(messageId);
  }
}

/**
 * What one subscription of a workspace socket writes, in front of the socket's sink:
 * typing events are dropped first when the socket falls behind (above half the backlog
 * bound) and never echoed to the typist; a message this socket published carries the
 * publish's `req`. Decided by the frame's type and fields, never by its text.
 */
export class SubscriptionSink implements Sink {
  constructor(
    private readonly out: Sink,
    private readonly userId: string,
    private readonly maxBacklogBytes: number,
    private readonly replies: PendingReplies,
    /** The stream gave up (backlog 1013: the whole socket; 1011 replay failure). */
    private readonly onClose: (code: number, reason: string) => void,
  ) {}

  get bufferedAmount(): number {
    return this.out.bufferedAmount;
  }

  send(frame: Frame, sent?: () => void): number {
    if (frame.type === 'typing') {
      if (
        this.out.bufferedAmount > this.maxBacklogBytes / 2 ||
        stringField(frame, 'user_id') === this.userId
      ) {
        sent?.();
        return 0;
      }
    } else if (frame.type === 'message' && this.replies.size) {
      const id = stringField(frame, 'id');
      const req = id === undefined ? undefined : this.replies.take(id);
      // The event as it is, with `req` first (the shape of every reply).
      if (req !== undefined)
        frame = textOf('message', `{"req":${JSON.stringify(req)},${frame.text.slice(1)}`);
    }
    return this.out.send(frame, sent);
  }

  close(code: number, reason: string): void {
    this.onClose(code, reason);
  }
}
