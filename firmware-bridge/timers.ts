/**
 * Time as a dependency: connectors, simulated boards and their tests take a `Timers` so backoff, pacing and
 * resend logic run on real time in production and on whatever clock a test chooses. Same `set`/`clear` shape
 * as gateway/timers.ts (which device-sim may not import), plus the clock those timers run on.
 */
export interface Timers {
  now(): number
  set(fn: () => void, ms: number): unknown
  clear(handle: unknown): void
}

export const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => {
    const t = setTimeout(fn, ms)
    // Timers of connectors and simulated boards never keep a process alive on their own.
    t.unref?.()
    return t
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, timers: Timers, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = (): void => {
      timers.clear(handle)
      reject(signal!.reason)
    }
    const handle = timers.set(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
