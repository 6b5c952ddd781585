/**
 * Timers as an injectable component: the batcher's max-delay timer and the submitter's backoff run on
 * these, so tests drive time by hand instead of sleeping.
 */

export interface Timers {
  set(fn: () => void, ms: number): unknown
  clear(handle: unknown): void
}

export const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms)
    // A pending batch timer or backoff must not keep a stopping process alive on its own.
    t.unref?.()
    return t
  },
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
