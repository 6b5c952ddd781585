import { ByteReader, ByteWriter } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { decodeRecordList } from '../../core/record.ts'

export interface StoredBlock {
  header: Uint8Array
  signature: Uint8Array
  txHashes: Uint8Array[]
}

export function encodeStoredBlock(b: StoredBlock): Uint8Array {
  const w = new ByteWriter(200 + b.txHashes.length * 32)
    .var32(b.header)
    .bytes(b.signature)
    .u32(b.txHashes.length)
  for (const h of b.txHashes) w.bytes(h)
  return w.finish()
}

export function decodeStoredBlock(v: Uint8Array): StoredBlock {
  const rd = new ByteReader(v, 'stored block')
  const header = rd.var32('header', 4096)
  const signature = rd.bytes(64, 'signature')
  const n = rd.u32('txCount')
  const txHashes: Uint8Array[] = []
  for (let i = 0; i < n; i++) txHashes.push(rd.bytes(32, 'txHash'))
  return { header, signature, txHashes }
}

export interface StoredTx {
  height: number
  index: number
  tx: Uint8Array
}

export function encodeStoredTx(t: StoredTx): Uint8Array {
  return new ByteWriter(16 + t.tx.length).u64(t.height).u32(t.index).bytes(t.tx).finish()
}

export function decodeStoredTx(v: Uint8Array): StoredTx {
  const rd = new ByteReader(v, 'stored tx')
  return { height: rd.u64('height'), index: rd.u32('index'), tx: rd.bytes(rd.remaining, 'tx') }
}

/**
 * A series chunk: the records of one batch that belong to one device, stored under one
 * index key. Indexing per chunk instead of per record turns ~3 index writes per record into ~0.2.
 */
export interface Chunk {
  txHash: Uint8Array
  leafIndexes: number[]
  records: Uint8Array[]
}

/**
 * The count of a chunk that holds every record of its batch: instead of a second copy of them, the chunk names the
 * batch's record list (`o:` + records root, stored once by the same write and never deleted). Chunks written before
 * this form carry their records and are read as they are.
 */
const WHOLE_BATCH = 0xffff_ffff
/**
 * The count of a chunk that holds some records of its batch (a batch mixing devices): it names the batch's record
 * list and the leaf indexes of its records in it, so each record is stored once whatever the batch's devices.
 */
const SOME_OF_BATCH = 0xffff_fffe

/** A chunk of every record of the batch: its tx hash, the whole-batch mark and its records root (68 bytes). */
export function encodeBatchChunk(txHash: Uint8Array, recordsRoot: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(68)
  out.set(txHash, 0)
  out.writeUInt32BE(WHOLE_BATCH, 32)
  out.set(recordsRoot, 36)
  return out
}

/** A chunk of the records at `leafIndexes` of the batch: tx hash, mark, records root, count, indexes (u32 each). */
export function encodeSomeOfBatchChunk(
  txHash: Uint8Array,
  recordsRoot: Uint8Array,
  leafIndexes: readonly number[],
): Uint8Array {
  const n = leafIndexes.length
  const out = Buffer.allocUnsafe(72 + 4 * n)
  out.set(txHash, 0)
  out.writeUInt32BE(SOME_OF_BATCH, 32)
  out.set(recordsRoot, 36)
  out.writeUInt32BE(n, 68)
  for (let i = 0; i < n; i++) out.writeUInt32BE(leafIndexes[i]!, 72 + 4 * i)
  return out
}

/** The records root of the batch whose record list holds the chunk's records, or undefined if the chunk holds them. */
export function chunkRecordsRoot(v: Uint8Array): Uint8Array | undefined {
  if (v.length < 68) return undefined
  const mark = new DataView(v.buffer, v.byteOffset, 36).getUint32(32)
  if (v.length === 68 ? mark !== WHOLE_BATCH : mark !== SOME_OF_BATCH || v.length < 72) return undefined
  return v.subarray(36, 68)
}

/** A chunk holding the records at `leafIndexes` of a batch, written once into a buffer of the exact size. */
export function encodeChunkOf(
  txHash: Uint8Array,
  leafIndexes: readonly number[],
  record: (i: number) => Uint8Array,
): Uint8Array {
  const n = leafIndexes.length
  let size = 36
  for (let i = 0; i < n; i++) size += 6 + record(i).length
  const out = Buffer.allocUnsafe(size)
  out.set(txHash, 0)
  out.writeUInt32BE(n, 32)
  let at = 36
  for (let i = 0; i < n; i++) {
    const r = record(i)
    if (r.length > 0xffff) throw new RangeError(`series chunk: record of ${r.length} bytes`)
    out.writeUInt32BE(leafIndexes[i]!, at)
    out.writeUInt16BE(r.length, at + 4)
    out.set(r, at + 6)
    at += 6 + r.length
  }
  return out
}

/**
 * The records at ascending `leaves` of a record list, as views, walking the length prefixes without a view per
 * record: a device's chunk of a batch of 1,000 records from 100 devices takes its ~10 and skips the rest.
 */
function recordsAt(list: Uint8Array, leaves: readonly number[]): Uint8Array[] {
  const fail = (why: string) =>
    new SteleError('STELE_INTERNAL', `series chunk: ${why} in its batch's record list`)
  if (list.length < 4) throw fail('no record count')
  const n = ((list[0]! << 24) | (list[1]! << 16) | (list[2]! << 8) | list[3]!) >>> 0
  const out: Uint8Array[] = []
  let at = 4
  let i = 0
  for (const leaf of leaves) {
    if (leaf < i || leaf >= n) throw fail(`leaf ${leaf} out of order or beyond ${n} records`)
    for (; i < leaf; i++) {
      if (at + 2 > list.length) throw fail(`record ${i} cut short`)
      at += 2 + ((list[at]! << 8) | list[at + 1]!)
    }
    if (at + 2 > list.length) throw fail(`record ${i} cut short`)
    const size = (list[at]! << 8) | list[at + 1]!
    if (at + 2 + size > list.length) throw fail(`record ${i} cut short`)
    out.push(list.subarray(at + 2, at + 2 + size))
    at += 2 + size
    i++
  }
  return out
}

/**
 * A stored chunk; `list` is its batch's record list when the chunk names it (chunkRecordsRoot), whose records are
 * then the chunk's, at leaves 0..n-1.
 */
export function decodeChunk(v: Uint8Array, list?: Uint8Array): Chunk {
  const rd = new ByteReader(v, 'series chunk')
  const txHash = rd.bytes(32, 'txHash')
  const n = rd.u32('count')
  if ((n === WHOLE_BATCH || n === SOME_OF_BATCH) && !list)
    throw new SteleError(
      'STELE_INTERNAL',
      'series chunk: the record list of its batch is missing from storage',
    )
  if (n === WHOLE_BATCH) {
    const records = decodeRecordList(list!)
    return { txHash, leafIndexes: Array.from(records, (_, i) => i), records }
  }
  if (n === SOME_OF_BATCH) {
    rd.bytes(32, 'recordsRoot')
    const count = rd.u32('count')
    const leafIndexes: number[] = []
    for (let i = 0; i < count; i++) leafIndexes.push(rd.u32('leafIndex'))
    return { txHash, leafIndexes, records: recordsAt(list!, leafIndexes) }
  }
  const leafIndexes: number[] = []
  const records: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    leafIndexes.push(rd.u32('leafIndex'))
    records.push(rd.bytes(rd.u16('length'), 'record'))
  }
  return { txHash, leafIndexes, records }
}
