import type { AggregateQuery, AggregateResult } from './aggregate.ts'

/** Buckets held across every kept answer (about 100 bytes each); an answer of more than a quarter is not kept. */
const MAX_BUCKETS_HELD = 100_000
/** Answers kept, however small (an empty answer holds no bucket). */
const MAX_ANSWERS = 1024

interface Kept {
  version: number
  answer: Promise<AggregateResult>
  buckets: number
}

/**
 * Aggregate answers kept per query under the version of the device's stored readings they were computed at
 * (`RecentChunkKeys.version`, read before computing): dashboards poll the same few aggregates, and a kept answer
 * needs no storage trip. Requests for the same query while it is computed share the computation. Answers are shared:
 * callers must not change them.
 */
export class AggregateCache {
  private readonly kept = new Map<string, Kept>()
  private buckets = 0

  constructor(private readonly maxBuckets = MAX_BUCKETS_HELD) {}

  answer(
    q: AggregateQuery,
    version: number,
    compute: () => Promise<AggregateResult>,
  ): Promise<AggregateResult> {
    const key = `${q.device}\u0000${q.sensor}\u0000${q.everyMs}\u0000${q.from ?? ''}\u0000${q.to ?? ''}`
    const hit = this.kept.get(key)
    if (hit) {
      this.drop(key, hit)
      if (hit.version === version) {
        this.keep(key, hit)
        return hit.answer
      }
    }
    const k: Kept = { version, answer: compute(), buckets: 0 }
    this.keep(key, k)
    this.trim()
    k.answer.then(
      (r) => {
        if (this.kept.get(key) !== k) return
        if (r.buckets.length > this.maxBuckets / 4) this.drop(key, k)
        else {
          k.buckets = r.buckets.length
          this.buckets += k.buckets
          this.trim()
        }
      },
      () => {
        if (this.kept.get(key) === k) this.drop(key, k)
      },
    )
    return k.answer
  }

  /** Most recently used last. */
  private keep(key: string, k: Kept): void {
    this.kept.set(key, k)
    this.buckets += k.buckets
  }

  private drop(key: string, k: Kept): void {
    this.kept.delete(key)
    this.buckets -= k.buckets
  }

  private trim(): void {
    for (const [key, k] of this.kept) {
      if (this.buckets <= this.maxBuckets && this.kept.size <= MAX_ANSWERS) break
      this.drop(key, k)
    }
  }
}
