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
import { SteleError } from '../core/errors.ts'
import type { Reading } from '../core/reading.ts'
import { decodeRows, encodeRows } from './dedupe-blob.ts'

/** One device's sensor; `id` names it in the index (never reused), `count` is how many of its sequences are held. */
interface Stream {
  device: string
  sensor: string
  id: number
  count: number
}

export interface DedupeStats {
  duplicates: number
  seqReuse: number
  remembered: number
}

/** A device time is a non-negative integer (core/reading.ts), so -1 stands for none in a Float64Array. */
const NO_TIME = -1

/** The index is kept at most half full, so a full one is a bug: fail loudly rather than probe forever. */
function full(): never {
  throw new SteleError('STELE_INTERNAL', 'duplicate index full: entries were lost (a bug)')
}
const FIRST_SLOTS = 1024

export class RecentReadings {
  // Streams by name in nested maps (device -> sensor), not one map of concatenated keys: no string is built and
  // hashed per reading. Entries are ring slots in typed arrays, found through one open-addressing index keyed by
  // (stream, device sequence): nothing is allocated per reading, where a Map of sequences per stream cost a third
  // of the gateway's receive path at 1 reading a message (its inserts and deletes, and rehashing the holes).
  private readonly devices = new Map<string, Map<string, Stream>>()
  /** The stream of the last call: consecutive readings of one message name the same device and sensor. */
  private last: Stream | undefined
  private nextStreamId = 1
  // Per slot: the entry's value, device time, record sequence (0 when loaded from disk: already durable) and key.
  private values = new Float64Array(0)
  private times = new Float64Array(0)
  private records = new Float64Array(0)
  private ringSeq = new Float64Array(0)
  private ringStream: (Stream | undefined)[] = []
  /** Linear probing, at most half full: slot + 1 per used cell, 0 for empty. */
  private index = new Int32Array(0)
  private mask = -1
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
    const cell = this.lookup(r)
    return cell < 0 ? undefined : this.repeatOf(cell, r)
  }

  /** The index cell of `r`'s key (device, sensor, device seq), or -1 when none is held. */
  private lookup(r: Reading): number {
    if (r.deviceSeq === undefined) return -1
    const s = this.stream(r.device, r.sensor, false)
    return s === undefined ? -1 : this.find(s.id, r.deviceSeq)
  }

  /** The record sequence of the entry at `cell` when `r` has its content too (a repeat), else undefined (a reuse). */
  private repeatOf(cell: number, r: Reading): number | undefined {
    const slot = this.index[cell]! - 1
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
    if (r.deviceSeq === undefined) return undefined
    const cell = this.lookup(r)
    const original = cell < 0 ? undefined : this.repeatOf(cell, r)
    // A key not held stays so through put's eviction: put need not look for it a second time.
    if (original === undefined)
      this.put(r.device, r.sensor, r.deviceSeq, r.value, r.deviceTime, recordSeq, cell < 0)
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
      s = { device, sensor, id: this.nextStreamId++, count: 0 }
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
    /** The key is known not to be held (`admit` just looked). */
    absent = false,
  ): void {
    const slot = this.next
    this.next = slot + 1 === this.capacity ? 0 : slot + 1
    if (slot >= this.values.length) this.grow()
    else this.evict(slot)
    const s = this.stream(device, sensor, true)!
    this.values[slot] = value
    this.times[slot] = deviceTime ?? NO_TIME
    this.records[slot] = recordSeq
    const cell = absent ? -1 : this.find(s.id, seq)
    if (cell >= 0) {
      // The key again (a device that rebooted): the newer slot speaks for it; the old one is stale when evicted.
      this.index[cell] = slot + 1
    } else {
      s.count++
      this.size++
      this.insert(s.id, seq, slot)
    }
    this.ringSeq[slot] = seq
    this.ringStream[slot] = s
  }

  private evict(slot: number): void {
    const s = this.ringStream[slot]
    if (s === undefined) return
    const cell = this.find(s.id, this.ringSeq[slot]!)
    // A key put again since owns a newer slot: this old slot no longer speaks for it.
    if (cell < 0 || this.index[cell] !== slot + 1) return
    this.remove(cell)
    this.size--
    if (--s.count > 0) return
    const sensors = this.devices.get(s.device)!
    sensors.delete(s.sensor)
    if (sensors.size === 0) this.devices.delete(s.device)
    if (this.last === s) this.last = undefined
  }

  /** The index cell holding (stream `id`, `seq`), or -1. */
  private find(id: number, seq: number): number {
    const index = this.index
    if (index.length === 0) return -1
    for (let i = this.hash(id, seq), n = 0; n <= this.mask; i = (i + 1) & this.mask, n++) {
      const e = index[i]!
      if (e === 0) return -1
      if (this.ringSeq[e - 1] === seq && this.ringStream[e - 1]?.id === id) return i
    }
    return full()
  }

  private insert(id: number, seq: number, slot: number): void {
    const index = this.index
    let i = this.hash(id, seq)
    for (let n = 0; index[i] !== 0; i = (i + 1) & this.mask) if (++n > this.mask) full()
    index[i] = slot + 1
  }

  /** Empties `cell`, moving later cells of its probe run back so every key stays reachable (no tombstones). */
  private remove(cell: number): void {
    const index = this.index
    let hole = cell
    for (let j = (cell + 1) & this.mask; index[j] !== 0 && j !== cell; j = (j + 1) & this.mask) {
      const slot = index[j]! - 1
      const home = this.hash(this.ringStream[slot]!.id, this.ringSeq[slot]!)
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j
      if (!stays) {
        index[hole] = index[j]!
        hole = j
      }
    }
    index[hole] = 0
  }

  private hash(id: number, seq: number): number {
    let h = Math.imul(seq >>> 0, 0x9e3779b1) ^ Math.imul(id, 0x85ebca6b) ^ ((seq / 0x1_0000_0000) >>> 0)
    h ^= h >>> 15
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 13
    return h & this.mask
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
    // The index at least twice the slots (a power of two), filled again from the entries that are current.
    let cells = 1
    while (cells < 2 * size) cells *= 2
    if (cells === this.index.length) return
    const old = this.index
    this.index = new Int32Array(cells)
    this.mask = cells - 1
    for (const e of old) if (e !== 0) this.insert(this.ringStream[e - 1]!.id, this.ringSeq[e - 1]!, e - 1)
  }
}
