/**
 * Rolling back the tip block (a reorg): its transactions go back to the mempool in their arrival order, the state
 * returns to its parent's from the block's undo data, and the tip moves to the parent, in one atomic write.
 */
import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { decodeTx } from '../../core/transaction.ts'
import { decodeStoredBlock, decodeStoredTx } from '../db/codec.ts'
import type { DbOp } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { LA, txAccounts } from '../ledger/account-index.ts'
import { isLedgerType } from '../ledger/registry.ts'
import { decodeUndo, undoKey } from './block-undo.ts'
import type { PendingTx } from './mempool.ts'
import type { ProducedBlock, ProducerComponents } from './producer.ts'
import { type ChainTip, encodeJson } from './state.ts'

/** Rolls back the tip block; returns it. The caller holds the chain's write lock. */
export async function rollbackTip(
  c: Pick<ProducerComponents, 'db' | 'index' | 'ledger' | 'mempool' | 'state'>,
): Promise<ProducedBlock> {
  const { db, ledger, index } = c
  const height = c.state.tip.height
  if (height === 0) throw new SteleError('STELE_INTERNAL', 'rollback: the chain has no block')
  const stored = await db.get(K.block(height))
  const undoBytes = await db.get(undoKey(height))
  if (!stored || !undoBytes)
    throw new SteleError('STELE_STORAGE', `rollback: block ${height} or its undo data is missing`)
  const block = decodeStoredBlock(stored)
  const undo = decodeUndo(undoBytes)
  const hashes = block.txHashes.map(toHex)
  const txs = await db.getMany(hashes.map((h) => K.tx(h)))
  const ops: DbOp[] = [
    { type: 'del', key: K.block(height) },
    { type: 'del', key: undoKey(height) },
  ]
  const back: PendingTx[] = []
  for (const [i, v] of txs.entries()) {
    if (!v) throw new SteleError('STELE_STORAGE', `rollback: transaction ${i} of block ${height} is missing`)
    const tx = decodeTx(decodeStoredTx(v).tx)
    const arrival = undo.arrivals[i] ?? c.mempool.reserve()
    back.push({ arrival, tx, hash: hashes[i]! })
    ops.push(
      { type: 'del', key: K.tx(hashes[i]!) },
      { type: 'put', key: K.pending(arrival), value: tx.bytes },
    )
    if (ledger && isLedgerType(tx.type))
      for (const a of txAccounts(tx)) ops.push({ type: 'del', key: LA.key(a, height, i) })
  }
  const staged = ledger ? await ledger.map.stage(undo.state) : undefined
  if (staged) ops.push(...staged.ops)
  const parent = index.at(height - 1)
  const prevTip: ChainTip =
    height === 1
      ? { height: 0, hash: toHex(index.genesis.hash), time: index.genesis.time }
      : { height: height - 1, hash: toHex(parent!.hash), time: parent!.time }
  ops.push({ type: 'put', key: K.tip, value: encodeJson(prevTip) })
  await db.batch(ops)
  c.state.tip = prevTip
  index.pop()
  if (ledger && staged) ledger.map.committed(staged)
  c.mempool.restore(back)
  const h = decodeBlockHeader(block.header)
  return {
    header: { ...h, header: block.header, signature: block.signature, hash: sha256(block.header) },
    txHashes: hashes,
    txs: back.map((b) => b.tx),
    stateHashes: staged?.hashes ?? 0,
  }
}
