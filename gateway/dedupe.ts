/**
 * Duplicate readings: a device that resends (its acknowledgement was lost, or a broker redelivers after the
 * gateway restarted) sends the same device + sensor + device sequence again. We remember the most recent
 * ones in a bounded map (oldest evicted first) and drop repeats.
 *
 * A repeat must carry the same value and device time too; a same-sequence reading with other content is a
 * device that rebooted and restarted its counter, so it is kept (and counted as `seqReuse`).
 *
 * A repeat is not acknowledged before the original is durable: `check` returns the original's record
 * sequence, and the caller waits for that record's batch.
 */
import type { Reading } from '../core/reading.ts'

interface Seen {
  value: number
  deviceTime: number | undefined
  /** Record sequence the original reading got; 0 when loaded from disk (already durable). */
  recordSeq: number
}

export interface DedupeStats {
  duplicates: number
  seqReuse: number
  remembered: number
}

export class RecentReadings {
  private readonly seen = new Map<string, Seen>()
  private duplicates = 0
  private seqReuse = 0

  /** `capacity` bounds memory: about 100 bytes per entry, so the default costs ~10 MB at most. */
  constructor(private readonly capacity = 100_000) {}

  /** The original's record sequence when `r` repeats a recent reading, else undefined. */
  check(r: Reading): number | undefined {
    if (r.deviceSeq === undefined) return undefined
    const prior = this.seen.get(keyOf(r.device, r.sensor, r.deviceSeq))
    if (!prior) return undefined
    if (!Object.is(prior.value, r.value) || prior.deviceTime !== r.deviceTime) {
      this.seqReuse++
      return undefined
    }
    this.duplicates++
    return prior.recordSeq
  }

  remember(r: Reading, recordSeq: number): void {
    if (r.deviceSeq === undefined) return
    this.put(keyOf(r.device, r.sensor, r.deviceSeq), { value: r.value, deviceTime: r.deviceTime, recordSeq })
  }

  /** The entries of one sealed batch as a blob the outbox keeps beside it (JSON: small, debuggable). */
  encode(readings: readonly Reading[]): Uint8Array | undefined {
    const rows: [string, number, number | null][] = []
    for (const r of readings)
      if (r.deviceSeq !== undefined)
        rows.push([keyOf(r.device, r.sensor, r.deviceSeq), r.value, r.deviceTime ?? null])
    return rows.length > 0 ? Buffer.from(JSON.stringify(rows)) : undefined
  }

  /** Restores memory from blobs written by `encode`, so a restart still recognises a redelivery. */
  load(blobs: readonly Uint8Array[]): void {
    for (const blob of blobs) {
      let rows: [string, number, number | null][]
      try {
        rows = JSON.parse(Buffer.from(blob).toString('utf8'))
      } catch {
        continue // memory is an optimisation over correctness elsewhere: a bad blob only costs dedupe
      }
      for (const [key, value, deviceTime] of rows)
        this.put(key, { value, deviceTime: deviceTime ?? undefined, recordSeq: 0 })
    }
  }

  stats(): DedupeStats {
    return { duplicates: this.duplicates, seqReuse: this.seqReuse, remembered: this.seen.size }
  }

  private put(key: string, seen: Seen): void {
    this.seen.delete(key) // re-insert at the young end
    this.seen.set(key, seen)
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value
      if (oldest !== undefined) this.seen.delete(oldest)
    }
  }
}

const keyOf = (device: string, sensor: string, seq: number) => `${device}\u0000${sensor}\u0000${seq}`
