/**
 * Messages a connector could not turn into readings. They are acknowledged (a malformed message will not
 * become well formed by redelivery, and holding it would block the session), counted, kept in a bounded
 * list for operators to inspect, and logged at most once per device per interval so one broken device
 * cannot flood the log.
 */
import type { Logger } from '../core/logger.ts'

export interface DeadLetter {
  at: number
  topic: string
  device: string | null
  reason: string
  /** The payload as text (or hex when not UTF-8), cut to 256 characters. */
  payload: string
}

export interface DeadLetterInit {
  logger: Logger
  now: () => number
  /** Letters kept; default 100 (oldest dropped). */
  capacity?: number
  /** At most one log line per device per this many ms; default 60 s. */
  logIntervalMs?: number
}

const MAX_TRACKED_DEVICES = 10_000

/** Where refused messages go: the connector's list, or the embedded broker's refusals into the same list. */
export interface DeadLetterSink {
  add(topic: string, device: string | null, reason: string, payload: Uint8Array): void
}

export class DeadLetters implements DeadLetterSink {
  private readonly letters: DeadLetter[] = []
  private readonly lastLogged = new Map<string, number>()
  private readonly suppressed = new Map<string, number>()
  total = 0

  constructor(private readonly init: DeadLetterInit) {}

  add(topic: string, device: string | null, reason: string, payload: Uint8Array): void {
    const at = this.init.now()
    this.total++
    this.letters.push({ at, topic, device, reason, payload: preview(payload) })
    if (this.letters.length > (this.init.capacity ?? 100)) this.letters.shift()

    const key = device ?? `topic:${topic}`
    const last = this.lastLogged.get(key)
    if (last !== undefined && at - last < (this.init.logIntervalMs ?? 60_000)) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1)
      return
    }
    const suppressed = this.suppressed.get(key) ?? 0
    this.suppressed.delete(key)
    this.lastLogged.delete(key)
    this.lastLogged.set(key, at)
    if (this.lastLogged.size > MAX_TRACKED_DEVICES) {
      const oldest = this.lastLogged.keys().next().value
      if (oldest !== undefined) this.lastLogged.delete(oldest)
    }
    this.init.logger.warn(
      { topic, device, reason, ...(suppressed > 0 ? { suppressedSinceLast: suppressed } : {}) },
      'malformed or refused message; kept as a dead letter',
    )
  }

  list(): DeadLetter[] {
    return this.letters.slice()
  }
}

function preview(payload: Uint8Array): string {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).subarray(0, 256)
  const text = buf.toString('utf8')
  return text.includes('\uFFFD') ? `hex:${buf.toString('hex')}` : text
}
