import type { GenesisLedger } from '../../../core/genesis-ledger.ts'
import type { TxView } from '../api.ts'
import { h, link, short, table, timeText } from '../dom.ts'
import { coins } from './ledger.ts'

interface MoveFields {
  to?: string
  amount?: string
  fee?: string
  memo?: string
  node?: string
}

/** An account's transactions, newest first: what each did to this account, with the other party linked. */
export function historyTable(items: TxView[], me: string, l: GenesisLedger | null): HTMLElement {
  if (items.length === 0)
    return h('p', { class: 'muted', id: 'history-empty' }, 'No confirmed transactions yet.')
  const rows = items.map((t) => {
    const p = (t.payload ?? {}) as MoveFields
    const out = t.signer === me
    const other = out ? (p.to ?? p.node) : t.signer
    const amount = p.amount !== undefined ? `${out ? '−' : '+'}${coins(p.amount, l)}` : '—'
    return [
      t.time ? timeText(t.time) : 'pending',
      t.type,
      h('span', { class: out ? 'out' : 'in' }, amount),
      other ? link(`/accounts/${other}`, short(other)) : '—',
      t.blockHeight === null ? 'pending' : link(`/blocks/${t.blockHeight}`, String(t.blockHeight)),
      link(`/tx/${t.hash}`, short(t.hash)),
    ]
  })
  return table(
    'Transactions of this account',
    ['Time', 'Type', 'Amount', 'Other party', 'Block', 'Hash'],
    rows,
  )
}
