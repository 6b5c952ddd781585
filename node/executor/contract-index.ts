import { toHex } from '../../core/bytes.ts'
import { decodeContractResult } from '../../core/contract-payloads.ts'
import { decodeTx } from '../../core/transaction.ts'
import { decodeStoredTx } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { type Evidence, type ResultView, resultView } from './result-view.ts'

/**
 * The executor's index in the node's database: deployed contracts, registered executors, each contract's results
 * by height and the evidence of mismatches, under keys of one letter `x` and a kind.
 */
export const XK = {
  cursor: 'xh:',
  contract: (id: string) => `xc:${id}`,
  contractPrefix: 'xc:',
  result: (id: string, height: number, tx: string) =>
    `xr:${id}:${height.toString(16).padStart(12, '0')}:${tx}`,
  resultPrefix: (id: string) => `xr:${id}:`,
  executor: (key: string) => `xn:${key}`,
  executorPrefix: 'xn:',
  evidence: (seq: number) => `xv:${seq.toString(16).padStart(12, '0')}`,
  evidencePrefix: 'xv:',
}
const end = (p: string) => `${p}\uffff`

/** What the index holds at start: contracts (id → deploy height), executors, evidence count, last indexed height. */
export async function loadContractIndex(db: Db): Promise<{
  contracts: Map<string, number>
  executors: Set<string>
  evidenceSeq: number
  evidenceCount: number
  cursor: number
}> {
  const contracts = new Map<string, number>()
  const executors = new Set<string>()
  let evidenceSeq = 0
  let evidenceCount = 0
  for await (const [k, v] of db.iterator({ gte: XK.contractPrefix, lt: end(XK.contractPrefix) }))
    contracts.set(k.slice(XK.contractPrefix.length), Number(new TextDecoder().decode(v)))
  for await (const k of db.keys({ gte: XK.executorPrefix, lt: end(XK.executorPrefix) }))
    executors.add(k.slice(XK.executorPrefix.length))
  for await (const k of db.keys({ gte: XK.evidencePrefix, lt: end(XK.evidencePrefix) })) {
    evidenceSeq = Number.parseInt(k.slice(XK.evidencePrefix.length), 16)
    evidenceCount++
  }
  const at = await db.get(XK.cursor)
  return {
    contracts,
    executors,
    evidenceSeq,
    evidenceCount,
    cursor: at ? Number(new TextDecoder().decode(at)) : 0,
  }
}

/** A contract's results, newest first, from `before` (an index key from a previous page). */
export async function resultsPage(
  db: Db,
  id: string,
  limit: number,
  before?: string,
): Promise<{ items: ResultView[]; next: string | null }> {
  const items: ResultView[] = []
  let last: string | null = null
  for await (const [k, v] of db.iterator({
    gte: XK.resultPrefix(id),
    lt: before ?? end(XK.resultPrefix(id)),
    reverse: true,
    limit: limit + 1,
  })) {
    if (items.length === limit) return { items, next: last }
    const stored = await db.get(K.tx(toHex(v)))
    if (!stored) continue
    const tx = decodeTx(new Uint8Array(decodeStoredTx(stored).tx))
    items.push(resultView(tx, decodeContractResult(tx.payload)))
    last = k
  }
  return { items, next: null }
}

/** The evidence kept, oldest first; of one contract when given. */
export async function evidenceList(db: Db, contract?: string): Promise<Evidence[]> {
  const out: Evidence[] = []
  for await (const v of db.values({ gte: XK.evidencePrefix, lt: end(XK.evidencePrefix) })) {
    const ev = JSON.parse(new TextDecoder().decode(v)) as Evidence
    if (!contract || ev.contract === contract) out.push(ev)
  }
  return out
}
