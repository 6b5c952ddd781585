import { ByteReader, ByteWriter } from './bytes.ts'
import { SteleError } from './errors.ts'
import { leafHash } from './merkle.ts'
import { isValidId, LIMITS, type Reading, readingFault, SOURCES, type Source } from './reading.ts'

export const RECORD_VERSION = 1

/** A reading as the gateway stamped it. Its canonical bytes are a Merkle leaf; its id is the leaf hash. */
export interface StampedRecord extends Reading {
  gateway: Uint8Array
  /** Gateway-wide, strictly increasing, starting at 1. */
  seq: number
  /** Hybrid logical clock: wall milliseconds that never go backwards, and a counter within one millisecond. */
  time: number
  logical: number
}

const FLAG_DEVICE_SEQ = 1
const FLAG_DEVICE_TIME = 2

export function writeRecord(w: ByteWriter, r: StampedRecord): void {
  const fault = readingFault(r)
  if (fault) throw new SteleError('STELE_BAD_ENCODING', `record: ${fault.message}`)
  if (r.gateway.length !== 32)
    throw new SteleError('STELE_BAD_ENCODING', 'record: gateway key must be 32 bytes')
  const source = SOURCES.indexOf(r.source)
  const flags =
    (r.deviceSeq !== undefined ? FLAG_DEVICE_SEQ : 0) | (r.deviceTime !== undefined ? FLAG_DEVICE_TIME : 0)
  w.u8(RECORD_VERSION)
    .bytes(r.gateway)
    .u64(r.seq)
    .u64(r.time)
    .u32(r.logical)
    .str8(r.device, 'device')
    .str8(r.sensor, 'sensor')
    .f64(r.value)
    .str8(r.unit ?? '', 'unit', LIMITS.unitBytes)
    .u8(source)
    .u8(flags)
  if (r.deviceSeq !== undefined) w.u64(r.deviceSeq)
  if (r.deviceTime !== undefined) w.u64(r.deviceTime)
}

export function encodeRecord(r: StampedRecord): Uint8Array {
  const w = new ByteWriter(160)
  writeRecord(w, r)
  return w.finish()
}

export function readRecord(rd: ByteReader): StampedRecord {
  const version = rd.u8('version')
  if (version !== RECORD_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `record: unsupported version ${version}`)
  const gateway = rd.bytes(32, 'gateway')
  const seq = rd.u64('seq')
  if (seq < 1) throw new SteleError('STELE_BAD_ENCODING', 'record: seq starts at 1')
  const time = rd.u64('time')
  const logical = rd.u32('logical')
  const device = rd.str8('device')
  const sensor = rd.str8('sensor')
  const value = rd.f64('value')
  const unit = rd.str8('unit', LIMITS.unitBytes)
  const sourceIdx = rd.u8('source')
  const flags = rd.u8('flags')
  const source: Source | undefined = SOURCES[sourceIdx]
  if (source === undefined) throw new SteleError('STELE_BAD_ENCODING', `record: unknown source ${sourceIdx}`)
  if (flags & ~(FLAG_DEVICE_SEQ | FLAG_DEVICE_TIME))
    throw new SteleError('STELE_BAD_ENCODING', `record: unknown flags ${flags}`)
  const r: StampedRecord = {
    gateway: new Uint8Array(gateway),
    seq,
    time,
    logical,
    device,
    sensor,
    value,
    source,
  }
  if (unit !== '') r.unit = unit
  if (flags & FLAG_DEVICE_SEQ) r.deviceSeq = rd.u64('deviceSeq')
  if (flags & FLAG_DEVICE_TIME) r.deviceTime = rd.u64('deviceTime')
  const fault = readingFault(r)
  if (fault) throw new SteleError('STELE_BAD_ENCODING', `record: ${fault.message}`)
  return r
}

export function decodeRecord(bytes: Uint8Array): StampedRecord {
  const fast = decodeRecordFast(bytes)
  if (fast) return fast
  const rd = new ByteReader(bytes, 'record')
  const r = readRecord(rd)
  rd.end()
  return r
}

// The fast path of decodeRecord: reads the bytes in place and returns only a record that is valid in every respect,
// else undefined so the checked reader above names what is wrong. Records of a batch repeat the same gateway, device,
// sensor and unit, so those come from a small cache (compared byte by byte) instead of a UTF-8 decode, a regex and a
// copy per record: the node decodes every submitted record, and this is most of that cost.

/** Bytes allowed in device ids and sensors, from the one id rule. */
const ID_BYTE = new Uint8Array(128)
for (let c = 0; c < 128; c++) ID_BYTE[c] = isValidId(String.fromCharCode(c), 1) ? 1 : 0

const strings = new Map<number, { bytes: Uint8Array; value: string }>()
let lastGateway: Uint8Array | undefined
const f64 = new Float64Array(1)
const f64Bytes = new Uint8Array(f64.buffer)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function sameBytes(a: Uint8Array, b: Uint8Array, at: number, n: number): boolean {
  if (a.length !== n) return false
  for (let i = 0; i < n; i++) if (a[i] !== b[at + i]) return false
  return true
}

/** The string of n bytes at `at`, or undefined when not valid (an id outside the alphabet, or bad UTF-8). */
function internString(b: Uint8Array, at: number, n: number, id: boolean): string | undefined {
  let h = 0x811c9dc5 ^ (id ? 1 : 0)
  let ascii = true
  for (let i = at; i < at + n; i++) {
    const c = b[i]!
    if (c >= 0x80) {
      if (id) return undefined
      ascii = false
    } else if (id && ID_BYTE[c] === 0) return undefined
    h = Math.imul(h ^ c, 0x01000193)
  }
  const hit = strings.get(h)
  if (hit && sameBytes(hit.bytes, b, at, n)) return hit.value
  let value: string
  if (ascii) value = String.fromCharCode.apply(null, b.subarray(at, at + n) as unknown as number[])
  else {
    try {
      value = utf8Strict.decode(b.subarray(at, at + n))
    } catch {
      return undefined
    }
  }
  if (strings.size >= 4096) strings.clear()
  strings.set(h, { bytes: new Uint8Array(b.subarray(at, at + n)), value })
  return value
}
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function u64(b: Uint8Array, at: number): number {
  const hi = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
  if (hi > 0x1f_ffff) return -1
  return (
    hi * 0x1_0000_0000 + (((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0)
  )
}

function decodeRecordFast(b: Uint8Array): StampedRecord | undefined {
  const len = b.length
  // version, gateway, seq, time, logical, device length
  if (len < 1 + 32 + 8 + 8 + 4 + 1 || b[0] !== RECORD_VERSION) return undefined
  // Compared with the shared array itself, so one a caller changed is never handed out again.
  let gateway: Uint8Array
  if (lastGateway && sameBytes(lastGateway, b, 1, 32)) gateway = lastGateway
  else {
    gateway = new Uint8Array(b.subarray(1, 33))
    lastGateway = gateway
  }
  const seq = u64(b, 33)
  const time = u64(b, 41)
  // seq 0 falls through to the reader, which refuses it with a message.
  if (seq < 1 || time < 0) return undefined
  const logical = ((b[49]! << 24) | (b[50]! << 16) | (b[51]! << 8) | b[52]!) >>> 0
  let at = 53
  const dn = b[at++]!
  if (dn === 0 || dn > LIMITS.deviceIdBytes || at + dn >= len) return undefined
  const device = internString(b, at, dn, true)
  at += dn
  const sn = b[at++]!
  if (device === undefined || sn === 0 || sn > LIMITS.sensorBytes || at + sn + 8 >= len) return undefined
  const sensor = internString(b, at, sn, true)
  at += sn
  if (sensor === undefined) return undefined
  if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) f64Bytes[i] = b[at + 7 - i]!
  else for (let i = 0; i < 8; i++) f64Bytes[i] = b[at + i]!
  const value = f64[0]!
  at += 8
  if (!Number.isFinite(value)) return undefined
  const un = b[at++]!
  if (un > LIMITS.unitBytes || at + un + 2 > len) return undefined
  const unit = un === 0 ? '' : internString(b, at, un, false)
  if (unit === undefined) return undefined
  at += un
  const source = SOURCES[b[at++]!]
  const flags = b[at++]!
  if (source === undefined || flags & ~(FLAG_DEVICE_SEQ | FLAG_DEVICE_TIME)) return undefined
  const end = at + (flags & FLAG_DEVICE_SEQ ? 8 : 0) + (flags & FLAG_DEVICE_TIME ? 8 : 0)
  if (end !== len) return undefined
  const r: StampedRecord = { gateway, seq, time, logical, device, sensor, value, source }
  if (unit !== '') r.unit = unit
  if (flags & FLAG_DEVICE_SEQ) {
    const v = u64(b, at)
    if (v < 0) return undefined
    r.deviceSeq = v
    at += 8
  }
  if (flags & FLAG_DEVICE_TIME) {
    const v = u64(b, at)
    if (v < 0) return undefined
    r.deviceTime = v
  }
  return r
}

/** A reading's id: hex of the RFC 6962 leaf hash of its record bytes. */
export function recordId(bytes: Uint8Array): Uint8Array {
  return leafHash(bytes)
}

/** Records of one batch are stored as one object: u32 count, then each record with a u16 length prefix. */
export function encodeRecordList(records: readonly Uint8Array[]): Uint8Array {
  const w = new ByteWriter(records.length * 140 + 4)
  w.u32(records.length)
  for (const r of records) w.u16(r.length).bytes(r)
  return w.finish()
}

export function decodeRecordList(bytes: Uint8Array, max: number = LIMITS.maxBatchRecords): Uint8Array[] {
  const fast = decodeRecordListFast(bytes, max)
  if (fast) return fast
  const rd = new ByteReader(bytes, 'record list')
  const n = rd.u32('count')
  if (n > max) throw new SteleError('STELE_BAD_ENCODING', `record list: ${n} records exceeds ${max}`)
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) out.push(rd.bytes(rd.u16(`record ${i} length`), `record ${i}`))
  rd.end()
  return out
}

// The list as the node receives it, without a checked reader per record: plain Uint8Array views (a Buffer's
// subarray costs twice as much a record). Undefined for anything malformed; the checked reader then names the fault.
function decodeRecordListFast(b: Uint8Array, max: number): Uint8Array[] | undefined {
  const len = b.length
  if (len < 4) return undefined
  const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
  if (n > max) return undefined
  const out: Uint8Array[] = new Array(n)
  const { buffer, byteOffset } = b
  let at = 4
  for (let i = 0; i < n; i++) {
    if (at + 2 > len) return undefined
    const size = (b[at]! << 8) | b[at + 1]!
    at += 2
    if (at + size > len) return undefined
    out[i] = new Uint8Array(buffer, byteOffset + at, size)
    at += size
  }
  return at === len ? out : undefined
}

/** The count a record list claims, without decoding it (0 when too short to say). */
export function peekRecordCount(list: Uint8Array): number {
  return list.length < 4 ? 0 : new DataView(list.buffer, list.byteOffset, 4).getUint32(0)
}
