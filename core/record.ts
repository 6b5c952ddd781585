import { ByteReader, ByteWriter } from './bytes.ts'
import { SteleError } from './errors.ts'
import { leafHash } from './merkle.ts'
import { isValidId, LIMITS, type Reading, SOURCES, type Source } from './reading.ts'

export const RECORD_VERSION = 1

/** A reading as the gateway stamped it. Its canonical bytes are a Merkle leaf; its id is the leaf hash. */
export interface Record extends Reading {
  gateway: Uint8Array
  /** Gateway-wide, strictly increasing, starting at 1. */
  seq: number
  /** Hybrid logical clock: wall milliseconds that never go backwards, and a counter within one millisecond. */
  time: number
  logical: number
}

const FLAG_DEVICE_SEQ = 1
const FLAG_DEVICE_TIME = 2

export function writeRecord(w: ByteWriter, r: Record): void {
  if (!isValidId(r.device, LIMITS.deviceIdBytes))
    throw new SteleError('STELE_BAD_ENCODING', `record: bad device id ${JSON.stringify(r.device)}`)
  if (!isValidId(r.sensor, LIMITS.sensorBytes))
    throw new SteleError('STELE_BAD_ENCODING', `record: bad sensor ${JSON.stringify(r.sensor)}`)
  if (!Number.isFinite(r.value))
    throw new SteleError('STELE_BAD_ENCODING', 'record: value must be a finite number')
  if (r.gateway.length !== 32)
    throw new SteleError('STELE_BAD_ENCODING', 'record: gateway key must be 32 bytes')
  const source = SOURCES.indexOf(r.source)
  if (source < 0) throw new SteleError('STELE_BAD_ENCODING', `record: unknown source ${r.source}`)
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

export function encodeRecord(r: Record): Uint8Array {
  const w = new ByteWriter(160)
  writeRecord(w, r)
  return w.finish()
}

export function readRecord(rd: ByteReader): Record {
  const version = rd.u8('version')
  if (version !== RECORD_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `record: unsupported version ${version}`)
  const gateway = rd.bytes(32, 'gateway')
  const seq = rd.u64('seq')
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
  if (!isValidId(device, LIMITS.deviceIdBytes))
    throw new SteleError('STELE_BAD_ENCODING', 'record: bad device id')
  if (!isValidId(sensor, LIMITS.sensorBytes)) throw new SteleError('STELE_BAD_ENCODING', 'record: bad sensor')
  if (!Number.isFinite(value)) throw new SteleError('STELE_BAD_ENCODING', 'record: value is not finite')
  const r: Record = { gateway: new Uint8Array(gateway), seq, time, logical, device, sensor, value, source }
  if (unit !== '') r.unit = unit
  if (flags & FLAG_DEVICE_SEQ) r.deviceSeq = rd.u64('deviceSeq')
  if (flags & FLAG_DEVICE_TIME) r.deviceTime = rd.u64('deviceTime')
  return r
}

export function decodeRecord(bytes: Uint8Array): Record {
  const rd = new ByteReader(bytes, 'record')
  const r = readRecord(rd)
  rd.end()
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
  const rd = new ByteReader(bytes, 'record list')
  const n = rd.u32('count')
  if (n > max) throw new SteleError('STELE_BAD_ENCODING', `record list: ${n} records exceeds ${max}`)
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) out.push(rd.bytes(rd.u16(`record ${i} length`), `record ${i}`))
  rd.end()
  return out
}

/** The count a record list claims, without decoding it (0 when too short to say). */
export function peekRecordCount(list: Uint8Array): number {
  return list.length < 4 ? 0 : new DataView(list.buffer, list.byteOffset, 4).getUint32(0)
}
