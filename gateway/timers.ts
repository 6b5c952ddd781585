/**
 * Timers as an injectable component: the batcher's max-delay timer and the submitter's backoff run on
 * these, so tests drive time by hand instead of sleeping.
 */

export interface Timers {
  set(fn: () => void, ms: number): unknown
  clear(handle: unknown): void
}

export const realTimers: Timers = {
  // Not unref'd: a pending batch timer is readings waiting to be written, which must keep the process alive.
  // stop() clears every timer, so a stopped gateway does not hold the process open.
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** Resolves after `ms` on `timers`; rejects with the signal's reason when aborted first. */
export function sleep(ms: number, timers: Timers, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
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
