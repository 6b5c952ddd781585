import type { Timers } from '../../../core/timers.ts'

/** Timers that fire only when a test advances them: time-based logic without sleeping. */
export class ManualTimers implements Timers {
  private t = 0
  now(): number {
    return this.t
  }

  private nextId = 1
  private readonly due = new Map<number, { at: number; fn: () => void; ms: number }>()
  /** Every delay ever asked for, in order (backoff tests read it). */
  readonly requested: number[] = []

  set(fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.due.set(id, { at: this.t + ms, fn, ms })
    this.requested.push(ms)
    return id
  }

  clear(handle: unknown): void {
    this.due.delete(handle as number)
  }

  get pending(): number {
    return this.due.size
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const until = this.t + ms
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined
      for (const e of this.due) if (e[1].at <= until && (!next || e[1].at < next[1].at)) next = e
      if (!next) break
      this.due.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = until
  }

  /** Fires whatever is scheduled next, however far away. */
  fireNext(): void {
    let next: { at: number } | undefined
    for (const e of this.due.values()) if (!next || e.at < next.at) next = e
    if (next) this.advance(next.at - this.t)
  }
}
