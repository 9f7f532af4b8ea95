/**
 * Latency histogram with fixed 0.1 ms buckets up to 30 s: recording is one array increment,
 * so the generator spends its CPU on sockets rather than on bookkeeping.
 */
const BUCKET_MS = 0.1;
const BUCKETS = 300_000;

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS + 1);
  private n = 0;
  private maxMs = 0;

  record(ms: number): void {
    const b = ms <= 0 ? 0 : Math.min(BUCKETS, Math.floor(ms / BUCKET_MS));
    this.counts[b]! += 1;
    this.n += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.n;
  }

  get max(): number {
    return this.maxMs;
  }

  /** The upper edge of the bucket holding the q-quantile (0 < q ≤ 1); 0 when empty. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.ceil(q * this.n);
    let seen = 0;
    for (let b = 0; b <= BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min((b + 1) * BUCKET_MS, this.maxMs);
    }
    return this.maxMs;
  }
}
