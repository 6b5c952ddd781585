import type { Logger } from '../../../core/logger.ts'
import { sleep, type Timers } from '../../../firmware-bridge/timers.ts'

/**
 * The reconnect loop shared by the serial and Firmata connectors: connect, serve until the line drops, wait,
 * try again. Waits grow exponentially with jitter (so a fleet of gateways does not hammer a flapping hub in
 * step) and reset after a session that produced data, so a replugged board is back within `initialMs`.
 */
export interface BackoffOptions {
  initialMs: number
  maxMs: number
  factor: number
  /** Fraction of the delay drawn at random: 0.2 means ±20 %. */
  jitter: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 2000, factor: 2, jitter: 0.2 }

export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number): number {
  const base = Math.min(o.maxMs, o.initialMs * o.factor ** Math.max(0, attempt))
  return Math.max(0, Math.round(base * (1 + o.jitter * (random() * 2 - 1))))
}

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
