import { ROLES } from '../../core/account.ts'
import { toHex } from '../../core/bytes.ts'
import { decodeContractResult } from '../../core/contract-payloads.ts'
import { decodeNodeEntry, decodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import { type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import type { DbOp } from '../db/db.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { XK } from './contract-index.ts'

/** What the executor indexes in memory: deploy heights by contract id, executor keys, results verified. */
export interface ExecutorIndex {
  contracts: Map<string, number>
  executors: Set<string>
  verified: Set<string>
}

/**
 * Takes a rolled-back block's indexing out of `index` and returns the database operations that do the same:
 * deploys and result index entries go, executor registrations are re-read from the restored ledger, and the
 * cursor steps back.
 */
export async function undoBlockIndex(
  height: number,
  txs: readonly SignedTx[],
  index: ExecutorIndex,
  ledger: Pick<Ledger, 'map'>,
): Promise<DbOp[]> {
  const ops: DbOp[] = []
  for (const tx of txs) {
    const hash = toHex(tx.hash)
    if (tx.type === TX_TYPES.CONTRACT_DEPLOY) {
      if (index.contracts.get(hash) === height) index.contracts.delete(hash)
      ops.push({ type: 'del', key: XK.contract(hash) })
    } else if (tx.type === TX_TYPES.CONTRACT_RESULT) {
      const p = decodeContractResult(tx.payload)
      ops.push({ type: 'del', key: XK.result(toHex(p.contract), p.height, hash) })
      index.verified.delete(hash)
    } else if (tx.type === TX_TYPES.NODE_REGISTER) {
      const node = decodeNodeRegistration(tx.payload).node
      const key = toHex(node)
      const entry = await ledger.map.get(stateKey(STATE_NS.NODE, node))
      if (entry && (decodeNodeEntry(entry).roles & ROLES.EXECUTOR) !== 0) {
        index.executors.add(key)
        ops.push({ type: 'put', key: XK.executor(key), value: new Uint8Array() })
      } else {
        index.executors.delete(key)
        ops.push({ type: 'del', key: XK.executor(key) })
      }
    }
  }
  ops.push({ type: 'put', key: XK.cursor, value: new TextEncoder().encode(String(height - 1)) })
  return ops
}
