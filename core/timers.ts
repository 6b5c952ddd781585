/**
 * Time as a dependency. Everything that waits (batcher, submitter backoff, reconnect loops, block producer,
 * simulated boards, stream status) takes a `Timers`, so production runs on the real clock and tests drive time
 * by hand instead of sleeping.
 */
export interface Timers {
  /** The clock these timers run on, in epoch milliseconds. */
  now(): number
  set(fn: () => void, ms: number): unknown
  clear(handle: unknown): void
}

/**
 * Real timers that keep the process alive while pending: a batch timer is readings waiting to be written.
 * Owners clear every timer in stop(), so a stopped component does not hold the process open.
 */
export const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** Real timers that never keep a process alive on their own: reconnect waits, simulated boards, status ticks. */
export const backgroundTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** Resolves after `ms` on `timers`; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, timers: Timers, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = (): void => {
      timers.clear(handle)
      reject(signal?.reason)
    }
    const handle = timers.set(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
