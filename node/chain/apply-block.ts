/**
 * Checking a block of another producer before it is written: its header by the consensus rules on the snapshot of
 * the tip, its transaction root, every transaction through the same rules as production (record batches and gateway
 * registrations must already be admitted to the mempool, which checked them and stored their records; ledger
 * transactions are checked here against the state), and the state root it reaches. The producer writes what this
 * returns (producer.ts commit), so a block on disk passed every check here.
 */
import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { leafHash, merkleRoot } from '../../core/merkle.ts'
import { type SignedTx, verifyTxSignature } from '../../core/transaction.ts'
import { applyHeader, type ConsensusParams } from '../consensus/apply-header.ts'
import { K } from '../db/keys.ts'
import { blockState } from '../ledger/block-state.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { isLedgerType } from '../ledger/registry.ts'
import type { StagedUpdate, StateChange } from '../ledger/state-map.ts'
import type { ProducerComponents } from './producer.ts'
import type { WireBlock } from './wire-block.ts'

/** A block refused by applyBlock, with the consensus or state reason (a peer penalty, a log line). */
export class BlockRefused extends SteleError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super('STELE_BLOCK_INVALID', message, { details: { reason } })
  }
}

/** A transaction on its way into a block. */
export interface BlockEntry {
  tx: SignedTx
  hash: string
  /** Its mempool arrival number; 0 for a transaction the node never held pending. */
  arrival: number
}

/** What a checked block writes: its entries, the staged state update and the values it overwrites (undo). */
export interface CheckedBlock {
  entries: BlockEntry[]
  staged: StagedUpdate | undefined
  undoState: StateChange[]
}

/** The values `changes` overwrite, one per key: a block's undo data. */
export async function oldValues(ledger: Ledger, changes: readonly StateChange[]): Promise<StateChange[]> {
  const seen = new Set<string>()
  const keys = changes.filter((c) => {
    const hex = toHex(c.key)
    if (seen.has(hex)) return false
    seen.add(hex)
    return true
  })
  return Promise.all(keys.map(async (c) => ({ key: c.key, value: (await ledger.map.get(c.key)) ?? null })))
}

/** Checks `block` as the next block after the tip; throws BlockRefused with the reason. */
export async function checkBlock(
  block: WireBlock,
  c: Pick<ProducerComponents, 'db' | 'genesis' | 'index' | 'ledger' | 'mempool' | 'timers'>,
  consensus: ConsensusParams,
): Promise<CheckedBlock> {
  const { header } = block
  const { ledger, mempool } = c
  const verdict = applyHeader(c.index.snapshotAt(), header, c.timers.now(), consensus)
  if (!verdict.ok) throw new BlockRefused(verdict.message, verdict.reason)
  const refuse = (why: string, reason = 'bad-body'): never => {
    throw new BlockRefused(`block ${header.height}: ${why}`, reason)
  }
  if (!equalBytes(merkleRoot(block.txs.map((t) => leafHash(t.tx.hash))), header.txRoot))
    refuse('the transaction root does not match its transactions')
  const entries: BlockEntry[] = []
  const seen = new Set<string>()
  for (const [i, { tx }] of block.txs.entries()) {
    const hash = toHex(tx.hash)
    if (seen.has(hash)) refuse(`transaction ${i} appears twice`)
    seen.add(hash)
    const pending = mempool.get(hash)
    if (pending) {
      entries.push(pending)
      continue
    }
    if (!isLedgerType(tx.type)) refuse(`transaction ${i} (${hash}) was not admitted`, 'not-admitted')
    if (await c.db.get(K.tx(hash))) refuse(`transaction ${i} is already in the chain`)
    if (!verifyTxSignature(tx)) refuse(`transaction ${i} signature does not verify`)
    entries.push({ tx, hash, arrival: 0 })
  }
  let staged: StagedUpdate | undefined
  let undoState: StateChange[] = []
  if ((header.stateRoot !== undefined) !== (ledger !== undefined))
    refuse('state root present exactly on a chain with a ledger')
  if (ledger) {
    const r = await blockState(
      entries.map((e) => e.tx),
      (k) => ledger.map.get(k),
      {
        genesis: c.genesis,
        producer: header.producer,
        height: header.height,
        prevHash: header.prevHash,
      },
    )
    const bad = r.applied.indexOf(false)
    if (bad >= 0) refuse(`transaction ${bad} is not valid: ${(r.errors.get(bad) as Error)?.message}`)
    undoState = await oldValues(ledger, r.changes)
    staged = await ledger.map.stage(r.changes)
    if (!equalBytes(staged.root, header.stateRoot!))
      refuse('the state root differs from the one reached', 'bad-state')
  }
  // A transaction the node never held pending gets an arrival number now, for the order of a rollback.
  for (const e of entries) if (e.arrival === 0) e.arrival = mempool.reserve()
  return { entries, staged, undoState }
}
