import { ByteReader, ByteWriter } from './bytes.ts'
import { SteleError } from './errors.ts'
import { sha256 } from './hash.ts'

export const BATCH_VERSION = 1

/** What a gateway signs for each sealed batch: its place in the gateway's own hash chain and the records' Merkle root. */
export interface BatchHeader {
  gateway: Uint8Array
  /** Starts at 1 and increases by one per batch. */
  seq: number
  /** Hash of the previous batch header (32 zero bytes for the first). */
  prevHash: Uint8Array
  firstRecordSeq: number
  count: number
  /** Earliest and latest HLC wall milliseconds of the records. */
  minTime: number
  maxTime: number
  recordsRoot: Uint8Array
}

export const ZERO_HASH = new Uint8Array(32)
export const BATCH_HEADER_SIZE = 1 + 32 + 8 + 32 + 8 + 4 + 8 + 8 + 32

export function encodeBatchHeader(h: BatchHeader): Uint8Array {
  if (h.gateway.length !== 32 || h.prevHash.length !== 32 || h.recordsRoot.length !== 32)
    throw new SteleError('STELE_BAD_ENCODING', 'batch header: keys and hashes must be 32 bytes')
  return new ByteWriter(BATCH_HEADER_SIZE)
    .u8(BATCH_VERSION)
    .bytes(h.gateway)
    .u64(h.seq)
    .bytes(h.prevHash)
    .u64(h.firstRecordSeq)
    .u32(h.count)
    .u64(h.minTime)
    .u64(h.maxTime)
    .bytes(h.recordsRoot)
    .finish()
}

export function decodeBatchHeader(bytes: Uint8Array): BatchHeader {
  const rd = new ByteReader(bytes, 'batch header')
  const version = rd.u8('version')
  if (version !== BATCH_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `batch header: unsupported version ${version}`)
  const h: BatchHeader = {
    gateway: new Uint8Array(rd.bytes(32, 'gateway')),
    seq: rd.u64('seq'),
    prevHash: new Uint8Array(rd.bytes(32, 'prevHash')),
    firstRecordSeq: rd.u64('firstRecordSeq'),
    count: rd.u32('count'),
    minTime: rd.u64('minTime'),
    maxTime: rd.u64('maxTime'),
    recordsRoot: new Uint8Array(rd.bytes(32, 'recordsRoot')),
  }
  rd.end()
  if (h.seq < 1) throw new SteleError('STELE_BAD_ENCODING', 'batch header: seq starts at 1')
  if (h.firstRecordSeq < 1)
    throw new SteleError('STELE_BAD_ENCODING', 'batch header: firstRecordSeq starts at 1')
  if (h.count < 1) throw new SteleError('STELE_BAD_ENCODING', 'batch header: empty batch')
  if (h.minTime > h.maxTime) throw new SteleError('STELE_BAD_ENCODING', 'batch header: minTime after maxTime')
  return h
}

export function batchHeaderHash(headerBytes: Uint8Array): Uint8Array {
  return sha256(headerBytes)
}
