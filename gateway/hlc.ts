/**
 * Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014), reduced to one node.
 *
 * A timestamp is (wall milliseconds, logical counter). `next()` takes the wall clock when it has moved
 * past the last timestamp and otherwise keeps the last millisecond and bumps the counter, so timestamps
 * strictly increase even when the system clock is stepped back (NTP, a dead RTC battery, a VM resume).
 * Seeding from the persisted high-water mark carries the guarantee across restarts.
 */

export interface HlcTimestamp {
  /** Wall-clock epoch milliseconds, never less than any earlier timestamp's. */
  time: number
  /** Counter within one millisecond; a record stores it as u32. */
  logical: number
}

export interface HlcInit {
  /** Wall clock in epoch milliseconds. */
  now?: () => number
  /** The last timestamp handed out before a restart: every later one is greater. */
  seed?: HlcTimestamp | undefined
}

export interface Hlc {
  /** A timestamp strictly greater than every one before it. */
  next(): HlcTimestamp
  /** The last timestamp handed out (or the seed): what to persist as the high-water mark. */
  last(): HlcTimestamp
  /**
   * Raises the high-water mark to at least `ts` (a timestamp known from elsewhere, e.g. the node's view
   * of this gateway), so the next timestamp is greater.
   */
  observe(ts: HlcTimestamp): void
}

// The record format stores `logical` as u32. Running out would need 4 billion stamps inside one stalled
// millisecond; if it ever happens we move the clock 1 ms ahead of the wall, which HLC allows.
const MAX_LOGICAL = 0xffff_ffff

export function createHlc(init: HlcInit = {}): Hlc {
  const now = init.now ?? Date.now
  let time = init.seed?.time ?? 0
  let logical = init.seed?.logical ?? 0

  return {
    next() {
      const wall = Math.floor(now())
      if (Number.isFinite(wall) && wall > time) {
        time = wall
        logical = 0
      } else if (logical >= MAX_LOGICAL) {
        time += 1
        logical = 0
      } else {
        logical += 1
      }
      return { time, logical }
    },
    last: () => ({ time, logical }),
    observe(ts) {
      if (compareHlc(ts, { time, logical }) > 0) {
        time = ts.time
        logical = ts.logical
      }
    },
  }
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  return a.time !== b.time ? a.time - b.time : a.logical - b.logical
}
