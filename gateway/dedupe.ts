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
import { decodeRows, encodeRows } from './dedupe-blob.ts'

interface Seen {
  value: number
  deviceTime: number | undefined
  /** Record sequence the original reading got; 0 when loaded from disk (already durable). */
  recordSeq: number
  /** Where in the eviction ring this entry was last put. */
  slot: number
}

type SeqMap = Map<number, Seen>

interface RingEntry {
  device: string
  sensor: string
  seq: number
}

export interface DedupeStats {
  duplicates: number
  seqReuse: number
  remembered: number
}

export class RecentReadings {
  // Nested maps (device -> sensor -> seq) rather than one map of concatenated keys: no string is built and
  // hashed per reading, which mattered at tens of thousands of readings per second.
  private readonly devices = new Map<string, Map<string, SeqMap>>()
  private readonly ring: (RingEntry | undefined)[] = []
  private next = 0
  private size = 0
  private duplicates = 0
  private seqReuse = 0
  private readonly capacity: number

  /** `capacity` bounds memory: about 100 bytes per entry, so the default costs ~10 MB at most. */
  constructor(capacity = 100_000) {
    this.capacity = Math.max(1, capacity)
  }

  /** The original's record sequence when `r` repeats a recent reading, else undefined. */
  check(r: Reading): number | undefined {
    if (r.deviceSeq === undefined) return undefined
    const prior = this.devices.get(r.device)?.get(r.sensor)?.get(r.deviceSeq)
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
    this.put(r.device, r.sensor, r.deviceSeq, r.value, r.deviceTime, recordSeq)
  }

  /**
   * The entries of one sealed batch as a blob the outbox keeps beside it: the batch's rows only, never the whole
   * window. Binary (dedupe-blob.ts): JSON of ~1000 rows per batch was 2.8% of the main thread at 10 readings/message.
   */
  encode(readings: readonly Reading[]): Uint8Array | undefined {
    return encodeRows(readings)
  }

  /** Restores memory from blobs written by `encode` (or the JSON blobs of older data folders). */
  load(blobs: readonly Uint8Array[]): void {
    for (const blob of blobs)
      decodeRows(blob, (device, sensor, seq, value, deviceTime) =>
        this.put(device, sensor, seq, value, deviceTime, 0),
      )
  }

  stats(): DedupeStats {
    return { duplicates: this.duplicates, seqReuse: this.seqReuse, remembered: this.size }
  }

  /**
   * Eviction follows a ring of insertion slots rather than a Map's own order: taking a Map's oldest key
   * after deleting from its front walks over the deleted slots each time, which made this quadratic.
   */
  private put(
    device: string,
    sensor: string,
    seq: number,
    value: number,
    deviceTime: number | undefined,
    recordSeq: number,
  ): void {
    const slot = this.next
    this.next = (slot + 1) % this.capacity
    const old = this.ring[slot]
    if (old) this.evict(old, slot)
    let sensors = this.devices.get(device)
    if (!sensors) {
      sensors = new Map()
      this.devices.set(device, sensors)
    }
    let seqs = sensors.get(sensor)
    if (!seqs) {
      seqs = new Map()
      sensors.set(sensor, seqs)
    }
    if (!seqs.has(seq)) this.size++
    seqs.set(seq, { value, deviceTime, recordSeq, slot })
    this.ring[slot] = { device, sensor, seq }
  }

  private evict(e: RingEntry, slot: number): void {
    const sensors = this.devices.get(e.device)
    const seqs = sensors?.get(e.sensor)
    // A key put again since owns a newer slot: this old slot no longer speaks for it.
    if (!sensors || !seqs || seqs.get(e.seq)?.slot !== slot) return
    seqs.delete(e.seq)
    this.size--
    if (seqs.size === 0) {
      sensors.delete(e.sensor)
      if (sensors.size === 0) this.devices.delete(e.device)
    }
  }
}
