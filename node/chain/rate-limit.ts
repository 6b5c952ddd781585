export interface RateLimiterInit {
  /** Records per second a key may sustain. */
  ratePerSec: number
  /** Records a key may send at once after being quiet. */
  burst: number
}

/**
 * Token buckets per key (a gateway), refilled continuously from an injected clock. A gateway that exceeds its rate
 * is refused with a retry delay instead of being allowed to starve others of the single write path.
 *
 * Asking and charging are separate: ingest asks (`wait`) once a batch's signature verified, before its records are
 * decoded, so refusing a flood stays cheap; it charges (`charge`) only a batch it accepted, by the record count the
 * gateway signed. Nobody can spend another gateway's allowance.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly init: RateLimiterInit,
    private readonly components: { now: () => number },
  ) {}

  /** Milliseconds before `key` may send `n` records; 0 when it may now. Charges nothing. */
  wait(key: string, n: number): number {
    const b = this.refill(key)
    const { ratePerSec, burst } = this.init
    // A single request larger than the burst is still allowed once the bucket is full, or it could never pass.
    const need = Math.min(n, burst)
    return b.tokens >= need ? 0 : Math.ceil(((need - b.tokens) * 1000) / ratePerSec)
  }

  /** Takes `n` records from `key`'s allowance (after `wait` said 0 and the batch was accepted). */
  charge(key: string, n: number): void {
    this.refill(key).tokens -= n
  }

  private refill(key: string): { tokens: number; at: number } {
    const t = this.components.now()
    let b = this.buckets.get(key)
    if (!b) {
      b = { tokens: this.init.burst, at: t }
      this.buckets.set(key, b)
    }
    b.tokens = Math.min(this.init.burst, b.tokens + ((t - b.at) * this.init.ratePerSec) / 1000)
    b.at = t
    return b
  }
}
