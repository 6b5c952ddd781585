import { ByteReader, ByteWriter } from '../../core/bytes.ts'

/** A record as the indexes store it: where it is proven (transaction hash, leaf index) and its bytes. */
export interface Located {
  txHash: Uint8Array
  leafIndex: number
  record: Uint8Array
}

export function encodeLocated(txHash: Uint8Array, leafIndex: number, record: Uint8Array): Uint8Array {
  return new ByteWriter(40 + record.length).bytes(txHash).u32(leafIndex).bytes(record).finish()
}

export function decodeLocated(v: Uint8Array): Located {
  return {
    txHash: v.subarray(0, 32),
    leafIndex: new DataView(v.buffer, v.byteOffset + 32, 4).getUint32(0),
    record: v.subarray(36),
  }
}

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
