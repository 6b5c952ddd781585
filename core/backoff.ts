/**
 * The one retry schedule: exponential from `initialMs` by `factor`, capped at `maxMs`, with a random part drawn
 * from injected randomness so a fleet of gateways does not retry in step. `jitter` is the fraction of the delay
 * that is random: 0 is fixed, 0.5 is "equal jitter" (half fixed, half random), 1 is "full jitter".
 */
export interface BackoffOptions {
  initialMs: number
  maxMs: number
  factor: number
  jitter: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0.5 }

/** Delay before retry `attempt` (0-based), in whole milliseconds, within [(1 - jitter) * d, d]. */
export function backoffDelay(attempt: number, o: Partial<BackoffOptions>, random: () => number): number {
  const initial = o.initialMs ?? DEFAULT_BACKOFF.initialMs
  const max = o.maxMs ?? DEFAULT_BACKOFF.maxMs
  const factor = o.factor ?? DEFAULT_BACKOFF.factor
  const jitter = Math.min(1, Math.max(0, o.jitter ?? DEFAULT_BACKOFF.jitter))
  const d = Math.min(max, initial * factor ** Math.min(Math.max(0, attempt), 60))
  return Math.max(0, Math.round(d * (1 - jitter) + random() * d * jitter))
}
