/**
 * Waiting for something to become true, bounded by a deadline: the tests' one way to wait for
 * state that has no event to await (a row written, a Redis key expired, a server back up).
 */

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads until `ok(value)` holds and returns that value; fails with the last one at the deadline. */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  opts: { timeoutMs?: number; everyMs?: number; what?: string } = {},
): Promise<T> {
  const { timeoutMs = 10_000, everyMs = 20, what = 'condition' } = opts;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${String(value)}`);
    }
    await pause(everyMs);
  }
}

/** Waits until `cond()` is true. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  await pollUntil(cond, (v) => v, { timeoutMs, what });
}

/** Retries `check` until it stops throwing; at the deadline its last error is thrown. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await pause(20);
    }
  }
}
