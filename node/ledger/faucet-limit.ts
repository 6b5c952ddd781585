import type { Timers } from '../../core/timers.ts'

export interface FaucetLimitInit {
  /** Time between two grants to one address, or to one client (default 10 minutes). */
  cooldownMs?: number
  /** Most addresses and clients remembered; the oldest are forgotten first (default 100,000). */
  maxEntries?: number
}

/**
 * One faucet grant per address and per client address per cooldown. Memory is bounded: entries past their
 * cooldown are dropped as they are met, and past maxEntries the oldest go (Map keeps insertion order).
 */
export class FaucetLimit {
  private readonly last = new Map<string, number>()
  readonly cooldownMs: number
  private readonly maxEntries: number

  constructor(
    init: FaucetLimitInit,
    private readonly c: { timers: Pick<Timers, 'now'> },
  ) {
    this.cooldownMs = init.cooldownMs ?? 10 * 60_000
    this.maxEntries = init.maxEntries ?? 100_000
  }

  /** Milliseconds until every one of `keys` may be granted again; 0 when all may now. */
  wait(keys: string[]): number {
    const now = this.c.timers.now()
    let wait = 0
    for (const k of keys) {
      const t = this.last.get(k)
      if (t !== undefined) wait = Math.max(wait, t + this.cooldownMs - now)
    }
    return Math.max(0, wait)
  }

  charge(keys: string[]): void {
    const now = this.c.timers.now()
    for (const k of keys) {
      this.last.delete(k)
      this.last.set(k, now)
    }
    for (const [k, t] of this.last) {
      if (this.last.size <= this.maxEntries && t + this.cooldownMs > now) break
      this.last.delete(k)
    }
  }
}
