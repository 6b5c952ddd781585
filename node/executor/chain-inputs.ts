import { decodeBatchHeader } from '../../core/batch.ts'
import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { decodeRecord, decodeRecordList, type StampedRecord } from '../../core/record.ts'
import { decodeTx, type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import { decodeStoredBlock, decodeStoredTx } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'

/** A sealed block as the executor reads it back from the chain: what a run and its re-execution depend on. */
export interface ChainBlock {
  height: number
  hash: Uint8Array
  time: number
  txs: SignedTx[]
}

/** A block and its transactions from the node's database; undefined when the node has no block at that height. */
export async function loadBlock(db: Db, height: number): Promise<ChainBlock | undefined> {
  const stored = await db.get(K.block(height))
  if (!stored) return undefined
  const b = decodeStoredBlock(stored)
  const header = decodeBlockHeader(b.header)
  const txs: SignedTx[] = []
  for (const h of b.txHashes) {
    const v = await db.get(K.tx(toHex(h)))
    if (!v) throw new SteleError('STELE_STORAGE', `block ${height}: transaction ${toHex(h)} is missing`)
    txs.push(decodeTx(new Uint8Array(decodeStoredTx(v).tx)))
  }
  return { height, hash: sha256(b.header), time: header.time, txs }
}

/** The records of a block's record batches, in block order (batch by batch, leaf by leaf). */
export async function blockRecords(db: Db, txs: readonly SignedTx[]): Promise<StampedRecord[]> {
  const out: StampedRecord[] = []
  for (const tx of txs) {
    if (tx.type !== TX_TYPES.RECORD_BATCH) continue
    const root = toHex(decodeBatchHeader(tx.payload).recordsRoot)
    const list = await db.get(K.object(root))
    if (!list)
      throw new SteleError('STELE_STORAGE', `records ${root} of transaction ${toHex(tx.hash)} are missing`)
    for (const r of decodeRecordList(list)) out.push(decodeRecord(r))
  }
  return out
}
