import { EventEmitter } from 'node:events'
import type { Reading } from '../../core/reading.ts'
import type { GeneratedFrame } from '../../device-sim/line-board.ts'
import type { ReadingSink } from '../../gateway/connectors/connector.ts'

/** A sink that keeps everything pushed to it and emits 'push', optionally failing or stalling on demand. */
export class RecordingSink extends EventEmitter implements ReadingSink {
  readonly readings: Reading[] = []
  pushes = 0
  /** When set, the next push calls reject (once). */
  failNext = false

  async push(readings: Reading[]): Promise<void> {
    this.pushes++
    if (this.failNext) {
      this.failNext = false
      throw new Error('outbox full (test)')
    }
    this.readings.push(...readings)
    this.emit('push')
  }

  of(device: string): Reading[] {
    return this.readings.filter((r) => r.device === device)
  }
}

/**
 * Checks what a board's readings at the sink say against what the board generated: frames (runs of
 * `sensors` readings) appear in generation order, each at most once, with exactly the generated values;
 * every frame the board did not drop before it was acknowledged appears. Returns the number of frames matched.
 */
export function checkDelivery(
  readings: Reading[],
  history: GeneratedFrame[],
  scale: (sensor: number, raw: number) => number,
  sensors: number,
): number {
  if (readings.length % sensors !== 0)
    throw new Error(`${readings.length} readings is not a whole number of frames`)
  let h = 0
  let matched = 0
  for (let i = 0; i < readings.length; i += sensors) {
    const frame = readings.slice(i, i + sensors)
    const seq = frame[0]!.deviceSeq
    const time = frame[0]!.deviceTime
    // Walk forward through history: skipping is allowed only over frames the board lost.
    while (h < history.length && !(history[h]!.seq === seq && history[h]!.uptimeMs === time)) {
      if (!history[h]!.lost)
        throw new Error(
          `frame seq ${history[h]!.seq} (boot ${history[h]!.boot}) was never delivered, or delivered out of order (next delivered: seq ${seq})`,
        )
      h++
    }
    const g = history[h]
    if (!g) throw new Error(`delivered seq ${seq} at ${time} not generated, or delivered twice`)
    for (let k = 0; k < sensors; k++) {
      const r = frame[k]!
      const s = g.samples[k]!
      if (r.deviceSeq !== g.seq || r.value !== scale(s.sensor, s.raw))
        throw new Error(`frame seq ${seq}: reading ${k} differs from what the board sent`)
    }
    h++
    matched++
  }
  for (; h < history.length; h++)
    if (!history[h]!.lost)
      throw new Error(`frame seq ${history[h]!.seq} (boot ${history[h]!.boot}) not delivered`)
  return matched
}
