import { type EventEmitter, once as onceEvent } from 'node:events'

/** The one way tests wait: for a condition or an event, never for a fixed time. */
export interface UntilOptions {
  /** What is awaited; the timeout error names it. */
  what: string
  /** Deadline in milliseconds (default 10 s). */
  timeoutMs?: number
  /** Re-check synchronously whenever one of these emits, so a count is seen at every step, not only per poll. */
  on?: [EventEmitter, string][]
  /** Poll period for changes no event announces (default 10 ms). */
  everyMs?: number
  /** Context added to the timeout error: the last value seen, a child's stderr. */
  detail?: () => string
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

/**
 * Resolves with the predicate's first truthy result, checking at once, on each `on` event and every `everyMs`;
 * rejects with the predicate's own error if it throws, or naming `what` at the deadline. An async predicate
 * (an HTTP round trip) is never run twice at the same time.
 */
export function until<T>(predicate: () => T | Promise<T>, opts: UntilOptions): Promise<Truthy<T>> {
  const ms = opts.timeoutMs ?? 10_000
  return new Promise<Truthy<T>>((resolve, reject) => {
    let settled = false
    let running = false
    let again = false
    const finish = (err: unknown, value?: T): void => {
      if (settled) return
      settled = true
      clearInterval(interval)
      clearTimeout(deadline)
      for (const off of listeners) off()
      if (err !== undefined) reject(err)
      else resolve(value as Truthy<T>)
    }
    const seen = (value: T): void => {
      running = false
      if (value) finish(undefined, value)
      else if (again) {
        again = false
        check()
      }
    }
    const check = (): void => {
      if (settled) return
      if (running) {
        again = true
        return
      }
      running = true
      try {
        const r = predicate()
        if (r instanceof Promise) r.then(seen, (e: unknown) => finish(e ?? new Error(`${opts.what} failed`)))
        else seen(r)
      } catch (e) {
        finish(e ?? new Error(`${opts.what} failed`))
      }
    }
    const listeners = (opts.on ?? []).map(([em, ev]) => {
      em.on(ev, check)
      return () => em.off(ev, check)
    })
    // Poll ticks do not queue behind a slow async check: the next tick tries again.
    const interval = setInterval(() => running || check(), opts.everyMs ?? 10)
    const deadline = setTimeout(() => {
      const detail = opts.detail ? `: ${opts.detail()}` : ''
      finish(new Error(`timed out after ${ms} ms waiting for ${opts.what}${detail}`))
    }, ms)
    check()
  })
}

/**
 * Resolves with the arguments of the emitter's next `event` (rejecting if it emits 'error' first, as
 * `events.once` does), or rejects naming `what` at the deadline. The listener is attached at the call, so
 * the promise may be taken before the action that causes the event.
 */
export async function once(
  emitter: EventEmitter,
  event: string,
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<unknown[]> {
  const ms = opts.timeoutMs ?? 10_000
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(), ms)
  try {
    return await onceEvent(emitter, event, { signal: ctl.signal })
  } catch (e) {
    if (ctl.signal.aborted)
      throw new Error(`timed out after ${ms} ms waiting for ${opts.what ?? `'${event}'`}`)
    throw e
  } finally {
    clearTimeout(timer)
  }
}

/** Lets already-settled promise chains run; only to show that something has NOT happened (yet). */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r))
}
