/** A token bucket: `rate` tokens a second, holding at most `burst` (twice the rate unless said). */
export class TokenBucket {
  private tokens: number;
  private refilledAt = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst = rate * 2,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Pings a second a socket may always send, whatever WS_RATE_LIMIT is (bursts of twice that):
 * generous, since a ping costs one small write and no query (as a WebSocket protocol ping,
 * which ws answers without any limit), a client that does not read its pongs is cut off by
 * the backlog bound anyway, and clients measure round trips with back-to-back pings.
 */
const PING_RATE = 10_000;
/** Refusals a client may run into before it is taken for a flood: this many bursts' worth. */
const FLOOD_BURSTS = 5;
const MIN_FLOOD_REFUSALS = 100;

export type Verdict = 'ok' | 'limited' | 'flood';

/**
 * What one socket's client may send. Every frame kind (a message, a subscribe, a history
 * read, a malformed frame...) takes from one bucket: WS_RATE_LIMIT a second, bursts of twice
 * that. Pings take from their own generous one (at least PING_RATE a second) so that a
 * client's heartbeat never costs it a message. A frame over the limit is `limited` (the client
 * is told `rate_limited`); a client that keeps sending far past it (more refusals than
 * FLOOD_BURSTS bursts, refilled at the rate) is a `flood`, closed with 1008.
 */
export class FrameLimiter {
  private readonly frames: TokenBucket;
  private readonly pings: TokenBucket;
  private readonly refusals: TokenBucket;

  constructor(rate: number) {
    this.frames = new TokenBucket(rate);
    this.pings = new TokenBucket(Math.max(rate, PING_RATE));
    this.refusals = new TokenBucket(rate, Math.max(MIN_FLOOD_REFUSALS, rate * 2 * FLOOD_BURSTS));
  }

  take(kind: 'frame' | 'ping'): Verdict {
    if ((kind === 'ping' ? this.pings : this.frames).take()) return 'ok';
    return this.refusals.take() ? 'limited' : 'flood';
  }
}

/** The close of a socket that floods far past its rate limit. */
export const CLOSE_FLOOD = 1008;
