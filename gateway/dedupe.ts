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

/** One device's sensor: its remembered device sequences, each the ring slot that holds the entry. */
interface Stream {
  device: string
  sensor: string
  seqs: Map<number, number>
}

export interface DedupeStats {
  duplicates: number
  seqReuse: number
  remembered: number
}

/** A device time is a non-negative integer (core/reading.ts), so -1 stands for none in a Float64Array. */
const NO_TIME = -1
const FIRST_SLOTS = 1024

export class RecentReadings {
  // Nested maps (device -> sensor -> seq) rather than one map of concatenated keys: no string is built and
  // hashed per reading. An entry is a ring slot in typed arrays, not an object: nothing is allocated per reading
  // but the map's own entry, which kept the garbage collector busy at tens of thousands of readings per second.
  private readonly devices = new Map<string, Map<string, Stream>>()
  /** The stream of the last call: consecutive readings of one message name the same device and sensor. */
  private last: Stream | undefined
  // Per slot: the entry's value, device time, record sequence (0 when loaded from disk: already durable) and key.
  private values = new Float64Array(0)
  private times = new Float64Array(0)
  private records = new Float64Array(0)
  private ringSeq = new Float64Array(0)
  private readonly ringStream: (Stream | undefined)[] = []
  private next = 0
  private size = 0
  private duplicates = 0
  private seqReuse = 0
  private readonly capacity: number

  /** `capacity` bounds memory: about 60 bytes per entry, so the default costs ~6 MB at most. */
  constructor(capacity = 100_000) {
    this.capacity = Math.max(1, capacity)
  }

  /** The original's record sequence when `r` repeats a recent reading, else undefined. */
  check(r: Reading): number | undefined {
    if (r.deviceSeq === undefined) return undefined
    const slot = this.stream(r.device, r.sensor, false)?.seqs.get(r.deviceSeq)
    if (slot === undefined) return undefined
    if (!Object.is(this.values[slot], r.value) || this.times[slot] !== (r.deviceTime ?? NO_TIME)) {
      this.seqReuse++
      return undefined
    }
    this.duplicates++
    return this.records[slot]
  }

  remember(r: Reading, recordSeq: number): void {
    if (r.deviceSeq === undefined) return
    this.put(r.device, r.sensor, r.deviceSeq, r.value, r.deviceTime, recordSeq)
  }

  /**
   * `check` and, when `r` is no repeat, `remember` it as record `recordSeq`: the original's record sequence, or
   * undefined when `r` is new (and now remembered).
   */
  admit(r: Reading, recordSeq: number): number | undefined {
    const original = this.check(r)
    if (original === undefined) this.remember(r, recordSeq)
    return original
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

  private stream(device: string, sensor: string, create: boolean): Stream | undefined {
    const last = this.last
    if (last !== undefined && last.device === device && last.sensor === sensor) return last
    let sensors = this.devices.get(device)
    let s = sensors?.get(sensor)
    if (s === undefined) {
      if (!create) return undefined
      if (sensors === undefined) {
        sensors = new Map()
        this.devices.set(device, sensors)
      }
      s = { device, sensor, seqs: new Map() }
      sensors.set(sensor, s)
    }
    this.last = s
    return s
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
    this.next = slot + 1 === this.capacity ? 0 : slot + 1
    if (slot >= this.values.length) this.grow()
    else this.evict(slot)
    const s = this.stream(device, sensor, true)!
    const seqs = s.seqs
    if (!seqs.has(seq)) this.size++
    seqs.set(seq, slot)
    this.values[slot] = value
    this.times[slot] = deviceTime ?? NO_TIME
    this.records[slot] = recordSeq
    this.ringSeq[slot] = seq
    this.ringStream[slot] = s
  }

  private evict(slot: number): void {
    const s = this.ringStream[slot]
    if (s === undefined) return
    const seq = this.ringSeq[slot]!
    // A key put again since owns a newer slot: this old slot no longer speaks for it.
    if (s.seqs.get(seq) !== slot) return
    s.seqs.delete(seq)
    this.size--
    if (s.seqs.size > 0) return
    const sensors = this.devices.get(s.device)!
    sensors.delete(s.sensor)
    if (sensors.size === 0) this.devices.delete(s.device)
    if (this.last === s) this.last = undefined
  }

  /** Slots are allocated as the ring first fills (doubling up to capacity), so a quiet gateway stays small. */
  private grow(): void {
    const size = Math.min(this.capacity, Math.max(FIRST_SLOTS, this.values.length * 2))
    const more = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(size)
      b.set(a)
      return b
    }
    this.values = more(this.values)
    this.times = more(this.times)
    this.records = more(this.records)
    this.ringSeq = more(this.ringSeq)
  }
}
