/**
 * The wire block: what one node sends another (block gossip, block-range sync). The stored block holds only
 * transaction hashes and a batch's records live apart from its transaction, so the wire block carries everything
 * a node that has seen nothing of it needs to check and apply it (docs/protocol.md §9.8):
 *
 *   u8 version (1) | var32 header | 64-byte signature | u32 count |
 *   count × ( var32 transaction | var32 records )
 *
 * `records` is the record list (core/record.ts encodeRecordList) of a record batch and empty for every other type.
 */
import { decodeBatchHeader } from '../../core/batch.ts'
import { decodeBlockHeader, type SignedBlockHeader } from '../../core/block.ts'
import { ByteReader, ByteWriter, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { decodeTx, type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import { decodeStoredBlock, decodeStoredTx } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'

export const WIRE_BLOCK_VERSION = 1
/** A wire block's largest part: 16 MiB bounds a batch's records (10,000 records of at most 1,600 bytes). */
const MAX_PART = 16 << 20

export interface WireTx {
  tx: SignedTx
  /** The record list of a record batch; empty for other types. */
  records: Uint8Array
}

export interface WireBlock {
  header: SignedBlockHeader
  txs: WireTx[]
}

const EMPTY = new Uint8Array(0)

export function encodeWireBlock(b: {
  header: Uint8Array
  signature: Uint8Array
  txs: readonly { tx: Uint8Array; records: Uint8Array }[]
}): Uint8Array {
  if (b.signature.length !== 64)
    throw new SteleError('STELE_BAD_ENCODING', 'wire block: signature must be 64 bytes')
  const size = b.txs.reduce((n, t) => n + 8 + t.tx.length + t.records.length, 80 + b.header.length)
  const w = new ByteWriter(size).u8(WIRE_BLOCK_VERSION).var32(b.header).bytes(b.signature).u32(b.txs.length)
  for (const t of b.txs) w.var32(t.tx).var32(t.records)
  return w.finish()
}

/** Decodes and checks the wire block's own consistency (transaction count); consensus and state are the caller's. */
export function decodeWireBlock(bytes: Uint8Array): WireBlock {
  const rd = new ByteReader(bytes, 'wire block')
  const version = rd.u8('version')
  if (version !== WIRE_BLOCK_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `wire block: unsupported version ${version}`)
  const headerBytes = new Uint8Array(rd.var32('header', 4096))
  const signature = new Uint8Array(rd.bytes(64, 'signature'))
  const n = rd.u32('count')
  const h = decodeBlockHeader(headerBytes)
  if (n !== h.txCount)
    throw new SteleError(
      'STELE_BAD_ENCODING',
      `wire block: ${n} transactions, the header counts ${h.txCount}`,
    )
  const txs: WireTx[] = []
  for (let i = 0; i < n; i++) {
    const tx = decodeTx(new Uint8Array(rd.var32('transaction', MAX_PART)))
    const records = new Uint8Array(rd.var32('records', MAX_PART))
    if ((tx.type === TX_TYPES.RECORD_BATCH) !== records.length > 0)
      throw new SteleError(
        'STELE_BAD_ENCODING',
        `wire block: transaction ${i} records present exactly for a batch`,
      )
    txs.push({ tx, records })
  }
  rd.end()
  return { header: { ...h, header: headerBytes, signature, hash: sha256(headerBytes) }, txs }
}

/** The wire block of the stored block at `height`, or undefined above the tip. */
export async function loadWireBlock(db: Db, height: number): Promise<Uint8Array | undefined> {
  const stored = await db.get(K.block(height))
  if (!stored) return undefined
  const block = decodeStoredBlock(stored)
  const txs = await db.getMany(block.txHashes.map((t) => K.tx(toHex(t))))
  const parts: { tx: Uint8Array; records: Uint8Array }[] = []
  // Record lists in one read for the block, not one round trip a batch (a gossiped or synced block waits on this).
  const lists: { part: number; key: string }[] = []
  for (const [i, v] of txs.entries()) {
    if (!v) throw new SteleError('STELE_STORAGE', `block ${height}: transaction ${i} is missing`)
    const bytes = decodeStoredTx(v).tx
    const tx = decodeTx(bytes)
    if (tx.type === TX_TYPES.RECORD_BATCH)
      lists.push({ part: i, key: K.object(toHex(decodeBatchHeader(tx.payload).recordsRoot)) })
    parts.push({ tx: bytes, records: EMPTY })
  }
  const found = lists.length > 0 ? await db.getMany(lists.map((l) => l.key)) : []
  for (const [j, { part }] of lists.entries()) {
    const o = found[j]
    if (!o)
      throw new SteleError('STELE_STORAGE', `block ${height}: records of transaction ${part} are missing`)
    parts[part]!.records = o
  }
  return encodeWireBlock({ header: block.header, signature: block.signature, txs: parts })
}
