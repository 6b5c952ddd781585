/**
 * Token buckets per key (a gateway), refilled continuously from an injected clock. A gateway that exceeds its rate
 * is refused with a retry delay instead of being allowed to starve others of the single write path.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {}

  /** Takes `n` tokens for `key`; returns 0 when allowed, else the milliseconds to wait before retrying. */
  take(key: string, n: number): number {
    const t = this.now()
    let b = this.buckets.get(key)
    if (!b) {
      b = { tokens: this.burst, at: t }
      this.buckets.set(key, b)
    }
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) * this.ratePerSec) / 1000)
    b.at = t
    // A single request larger than the burst is still allowed once the bucket is full, or it could never pass.
    if (b.tokens >= Math.min(n, this.burst)) {
      b.tokens -= n
      return 0
    }
    return Math.ceil(((Math.min(n, this.burst) - b.tokens) * 1000) / this.ratePerSec)
  }
}
