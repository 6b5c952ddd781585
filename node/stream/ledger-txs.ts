import type { ProducedBlock } from '../chain/producer.ts'
import { txView } from '../chain/tx-view.ts'
import { txAccounts } from '../ledger/account-index.ts'
import { isLedgerType } from '../ledger/registry.ts'
import type { EncodedEvent } from './events.ts'

/** A ledger transaction of a sealed block, as the transactions channel sends it. */
export interface LedgerTx {
  /** The accounts it touches, for the `account` filter. */
  accounts: string[]
  view: () => object
  /** Its event, encoded on first use and shared by every subscriber. */
  ev: EncodedEvent | undefined
}

/** The ledger transactions of a block (block time `time`), each to be encoded at most once. */
export function ledgerTxs(b: ProducedBlock, time: number): LedgerTx[] {
  const out: LedgerTx[] = []
  b.txs.forEach((tx, index) => {
    if (!isLedgerType(tx.type)) return
    out.push({
      accounts: txAccounts(tx),
      view: () => ({
        ...txView(tx.bytes, b.header.height, index),
        time,
        timeIso: new Date(time).toISOString(),
      }),
      ev: undefined,
    })
  })
  return out
}
