/**
 * Turning a device's Reading into the gateway's StampedRecord: the gateway key, its own record sequence and clock
 * time go beside the device's sequence and time, which are kept as sent and never overwritten.
 *
 * `RecordStamper` writes the record's canonical bytes (core/record.ts `encodeRecord`, byte for byte; a test holds
 * them equal) straight from the reading, on the gateway's hot path: no StampedRecord object, no second validation
 * (the batcher checks a whole push first), the UTF-8 of device, sensor and unit names kept from one reading to the
 * next, and records written one after another into shared 64 KiB slabs, each with its record-list length prefix,
 * instead of one buffer each: a batch's list is then a copy of a slab run or two, not one copy per record.
 */

import { type Reading, SOURCES } from '../core/reading.ts'
import { RECORD_VERSION, type StampedRecord } from '../core/record.ts'
import type { HlcTimestamp } from './hlc.ts'

/** `reading` has passed validateReading (core/reading.ts): the batcher checks a whole push before stamping any. */
export function stamp(reading: Reading, gateway: Uint8Array, seq: number, ts: HlcTimestamp): StampedRecord {
  const r: StampedRecord = {
    gateway,
    seq,
    time: ts.time,
    logical: ts.logical,
    device: reading.device,
    sensor: reading.sensor,
    value: reading.value,
    source: reading.source,
  }
  if (reading.unit !== undefined && reading.unit !== '') r.unit = reading.unit
  if (reading.deviceSeq !== undefined) r.deviceSeq = reading.deviceSeq
  if (reading.deviceTime !== undefined) r.deviceTime = reading.deviceTime
  return r
}

// core/record.ts's flags (protocol constants; test/gateway/stamper.test.ts compares the bytes with encodeRecord).
const FLAG_DEVICE_SEQ = 1
const FLAG_DEVICE_TIME = 2
const SLAB = 64 * 1024
/** Largest record: fixed fields, three names of at most 255 bytes, both optional u64s. */
const MAX_RECORD = 1 + 32 + 8 + 8 + 4 + 3 * 256 + 8 + 1 + 1 + 16
const NAMES_KEPT = 4096

export class RecordStamper {
  private slab = Buffer.allocUnsafe(SLAB)
  private view = new DataView(this.slab.buffer, this.slab.byteOffset, this.slab.length)
  private pos = 0
  private readonly names = new Map<string, Buffer>()
  /** Per field, the last name written and its bytes: consecutive readings mostly share all three. */
  private readonly lastName: (string | undefined)[] = [undefined, undefined, undefined]
  private readonly lastBytes: (Buffer | undefined)[] = [undefined, undefined, undefined]

  constructor(private readonly gateway: Uint8Array) {}

  /** The canonical record bytes of `reading` stamped with `seq` and `ts`. */
  encode(reading: Reading, seq: number, time: number, logical: number): Uint8Array {
    const start = this.write(reading, seq, time, logical)
    return this.slab.subarray(start + 2, this.pos)
  }

  /**
   * Writes the record as an entry of a record list (core/record.ts `encodeRecordList`: u16 length, then the
   * record) and returns where it starts in `current` (it ends at `end`); records written one after another in
   * one slab are one list run, copied whole into a batch's list (`recordList` in batch-group.ts).
   */
  write(reading: Reading, seq: number, time: number, logical: number): number {
    if (this.pos + 2 + MAX_RECORD > SLAB) {
      // The old slab lives on in the records cut from it until they are written and released.
      this.slab = Buffer.allocUnsafe(SLAB)
      this.view = new DataView(this.slab.buffer, this.slab.byteOffset, this.slab.length)
      this.pos = 0
    }
    const b = this.slab
    const v = this.view
    const start = this.pos
    let p = start + 2
    b[p++] = RECORD_VERSION
    b.set(this.gateway, p)
    p += 32
    p = u64(v, p, seq)
    p = u64(v, p, time)
    v.setUint32(p, logical)
    p += 4
    p = this.str8(b, p, reading.device, 0)
    p = this.str8(b, p, reading.sensor, 1)
    v.setFloat64(p, reading.value)
    p += 8
    p = this.str8(b, p, reading.unit ?? '', 2)
    b[p++] = SOURCES.indexOf(reading.source)
    b[p++] =
      (reading.deviceSeq !== undefined ? FLAG_DEVICE_SEQ : 0) |
      (reading.deviceTime !== undefined ? FLAG_DEVICE_TIME : 0)
    if (reading.deviceSeq !== undefined) p = u64(v, p, reading.deviceSeq)
    if (reading.deviceTime !== undefined) p = u64(v, p, reading.deviceTime)
    v.setUint16(start, p - start - 2)
    this.pos = p
    return start
  }

  /** The slab the last `write` went to. */
  get current(): Buffer {
    return this.slab
  }

  /** Where the last `write` ended in `current`. */
  get end(): number {
    return this.pos
  }

  /** `s` as u8 length and UTF-8; `field` (device 0, sensor 1, unit 2) keeps the last name's bytes at hand. */
  private str8(b: Buffer, p: number, s: string, field: number): number {
    let bytes: Buffer | undefined
    if (this.lastName[field] === s) bytes = this.lastBytes[field]!
    else {
      bytes = this.names.get(s)
      if (bytes === undefined) {
        if (this.names.size >= NAMES_KEPT) this.names.clear() // bounded: a fleet with more names re-encodes them
        bytes = Buffer.from(s, 'utf8')
        this.names.set(s, bytes)
      }
      this.lastName[field] = s
      this.lastBytes[field] = bytes
    }
    const n = bytes.length
    b[p] = n
    for (let i = 0; i < n; i++) b[p + 1 + i] = bytes[i]! // names are short: a loop beats set()'s call
    return p + 1 + n
  }
}

/** A safe integer (validated) as u64 big-endian. */
function u64(v: DataView, p: number, n: number): number {
  v.setUint32(p, Math.floor(n / 0x1_0000_0000))
  v.setUint32(p + 4, n >>> 0)
  return p + 8
}
