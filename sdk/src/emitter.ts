/** A tiny typed event emitter (no Node `events` in the browser bundle). */
export class Emitter<E extends { [K in keyof E]: unknown }> {
  private handlers: { [K in keyof E]?: Set<(p: E[K]) => void> } = {};

  on<K extends keyof E>(event: K, fn: (p: E[K]) => void): () => void {
    (this.handlers[event] ??= new Set()).add(fn);
    return () => this.off(event, fn);
  }

  off<K extends keyof E>(event: K, fn: (p: E[K]) => void): void {
    this.handlers[event]?.delete(fn);
  }

  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    for (const fn of this.handlers[event] ?? []) {
      try {
        fn(payload);
      } catch (err) {
        // A listener's bug must not break the socket's state machine.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, rnd = Math.random) {
  return Math.floor(rnd() * Math.min(capMs, baseMs * 2 ** attempt));
}

/** A connection that stayed open this long resets the backoff to its first step. */
export const STABLE_AFTER_MS = 5000;
