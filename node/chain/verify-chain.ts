import { decodeBatchHeader } from '../../core/batch.ts'
import { decodeBlockHeader, verifyBlockSignature } from '../../core/block.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { type Genesis, genesisHash } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import { leafHash, merkleRoot } from '../../core/merkle.ts'
import { decodeTx, type SignedTx, TX_TYPES, verifyTxSignature } from '../../core/transaction.ts'
import { producersAfter } from '../consensus/producer-set.ts'
import { decodeStoredBlock, decodeStoredTx } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'
import { blockState } from '../ledger/block-state.ts'
import { genesisChanges } from '../ledger/genesis-state.ts'
import { memoryStateDb } from '../ledger/memory-state-db.ts'
import { isLedgerType } from '../ledger/registry.ts'
import { StateMap } from '../ledger/state-map.ts'

export interface ChainReport {
  height: number
  transactions: number
  ms: number
  /** The state root rebuilt by replaying every block from genesis (hex); absent for a chain without a ledger. */
  stateRoot?: string
}

/**
 * Walks every block from genesis: heights consecutive, each header linked to the previous, signed by a producer
 * (genesis or registered before it), its transaction root matching the stored transactions, each stored transaction hashing to its id, and
 * each record batch's records object present. On a chain with a ledger (genesis version 2), every block's
 * transactions are replayed from the genesis state into a state map in memory, and each header's stateRoot must be
 * the root it reaches: the state is rebuilt from the blocks alone.
 */
export async function verifyChain(
  db: Db,
  genesis: Genesis,
  opts: { now?: () => number; onProgress?: (height: number) => void } = {},
): Promise<ChainReport> {
  const now = opts.now ?? Date.now
  const started = now()
  let prevHash = genesisHash(genesis)
  let height = 0
  let transactions = 0
  const replay = genesis.ledger ? await new StateMap(memoryStateDb()).open() : undefined
  if (replay) await replay.apply(genesisChanges(genesis))
  // Genesis producers plus those registered before each block (consensus/producer-set.ts).
  const rules = { genesis: new Set(genesis.producers.map(toHex)), authority: genesis.authority }
  let producers: readonly string[] = [...rules.genesis]
  const fail = (h: number, what: string): never => {
    throw new SteleError(
      'STELE_STORAGE',
      `chain check failed at block ${h}: ${what}; the data folder is damaged`,
    )
  }
  for await (const [key, value] of db.iterator({ gt: K.blockPrefix, lt: prefixEnd(K.blockPrefix) })) {
    const h = Number.parseInt(key.slice(K.blockPrefix.length), 16)
    if (h !== height + 1) fail(h, `expected height ${height + 1}`)
    const block = decodeStoredBlock(value)
    const header = decodeBlockHeader(block.header)
    if (header.height !== h || header.chainId !== genesis.chainId) fail(h, 'header height or chain id')
    if (!equalBytes(header.prevHash, prevHash)) fail(h, 'previous hash does not link')
    if (!producers.includes(toHex(header.producer))) fail(h, 'producer not in genesis or registered')
    if (!verifyBlockSignature(block.header, block.signature, header.producer)) fail(h, 'signature')
    if (
      header.txCount !== block.txHashes.length ||
      !equalBytes(merkleRoot(block.txHashes.map(leafHash)), header.txRoot)
    )
      fail(h, 'transaction root')
    if ((header.stateRoot !== undefined) !== (replay !== undefined))
      fail(h, replay ? 'the header has no state root' : 'a state root on a chain without a ledger')
    const txs: SignedTx[] = []
    const stored = await db.getMany(block.txHashes.map((t) => K.tx(toHex(t))))
    for (const [i, v] of stored.entries()) {
      if (!v) return fail(h, `transaction ${i} missing`)
      const tx = decodeStoredTx(v)
      if (tx.height !== h || tx.index !== i || !equalBytes(sha256(tx.tx), block.txHashes[i]!))
        fail(h, `transaction ${i} differs`)
      const decoded = decodeTx(tx.tx)
      txs.push(decoded)
      if (replay && isLedgerType(decoded.type) && !verifyTxSignature(decoded))
        fail(h, `signature of transaction ${i}`)
      // The records a batch commits to must be stored, or its readings could not be proven.
      if (decoded.type === TX_TYPES.RECORD_BATCH) {
        const root = toHex(decodeBatchHeader(decoded.payload).recordsRoot)
        if (!(await db.get(K.object(root)))) fail(h, `records of transaction ${i} missing`)
      }
    }
    if (replay) {
      const r = await blockState(txs, (k) => replay.get(k), {
        genesis,
        producer: header.producer,
        height: h,
        prevHash: header.prevHash,
      })
      const bad = r.applied.indexOf(false)
      if (bad >= 0) fail(h, `transaction ${bad} is not valid in the state before it`)
      await replay.apply(r.changes)
      if (!equalBytes(replay.root, header.stateRoot!)) fail(h, 'state root differs from the replayed state')
    }
    producers = producersAfter(producers, txs, rules)
    transactions += block.txHashes.length
    prevHash = sha256(block.header)
    height = h
    if (height % 1000 === 0) opts.onProgress?.(height)
  }
  const report: ChainReport = { height, transactions, ms: now() - started }
  if (replay) report.stateRoot = toHex(replay.root)
  return report
}
