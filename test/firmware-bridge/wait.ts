import type { EventEmitter } from 'node:events'

/**
 * Resolves once `check()` holds, re-checking whenever one of `on` emits (and, for counters that change without
 * an event, every `everyMs`); rejects naming `what` at the deadline. Tests wait on conditions, never on sleeps.
 */
export function waitFor(
  check: () => boolean,
  what: string,
  opts: { ms?: number; on?: [EventEmitter, string][]; everyMs?: number } = {},
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (check()) return resolve()
    const listeners = (opts.on ?? []).map(([em, ev]) => {
      const fn = (): void => test()
      em.on(ev, fn)
      return () => em.off(ev, fn)
    })
    const done = (err?: Error): void => {
      clearInterval(interval)
      clearTimeout(deadline)
      for (const off of listeners) off()
      if (err) reject(err)
      else resolve()
    }
    const test = (): void => {
      try {
        if (check()) done()
      } catch (e) {
        done(e as Error)
      }
    }
    const interval = setInterval(test, opts.everyMs ?? 20)
    const deadline = setTimeout(
      () => done(new Error(`timed out after ${opts.ms ?? 10_000} ms waiting for ${what}`)),
      opts.ms ?? 10_000,
    )
  })
}
