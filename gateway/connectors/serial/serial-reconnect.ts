import { type BackoffOptions, backoffDelay } from '../../../core/backoff.ts'
import type { Logger } from '../../../core/logger.ts'
import { sleep, type Timers } from '../../../core/timers.ts'

/**
 * The reconnect loop shared by the serial and Firmata connectors: connect, serve until the line drops, wait,
 * try again. Waits grow exponentially with jitter (so a fleet of gateways does not hammer a flapping hub in
 * step) and reset after a session that produced data, so a replugged board is back within `initialMs`.
 */
/** Reconnect waits: short and capped, since a replugged board should be back within a second or two. */
export const SERIAL_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 2000, factor: 2, jitter: 0.2 }

export interface ReconnectLoopOptions {
  name: string
  signal: AbortSignal
  timers: Timers
  random: () => number
  backoff: BackoffOptions
  log: Logger
  /**
   * One connection: resolves when it ends. Returns true when it was healthy (data flowed), which resets the
   * backoff. Errors are logged and count as an unhealthy attempt.
   */
  connect(signal: AbortSignal): Promise<boolean>
  onRetry?(delayMs: number, attempt: number): void
}

export async function reconnectLoop(o: ReconnectLoopOptions): Promise<void> {
  let attempt = 0
  while (!o.signal.aborted) {
    let healthy = false
    try {
      healthy = await o.connect(o.signal)
    } catch (err) {
      if (o.signal.aborted) break
      o.log.debug(
        { port: o.name, err: err instanceof Error ? err.message : String(err) },
        'serial connect failed',
      )
    }
    if (o.signal.aborted) break
    attempt = healthy ? 0 : attempt + 1
    const delay = backoffDelay(healthy ? 0 : attempt - 1, o.backoff, o.random)
    o.onRetry?.(delay, attempt)
    try {
      await sleep(delay, o.timers, o.signal)
    } catch {
      break
    }
  }
}
