import { fromHex } from '../../../core/bytes.ts'
import { encodeTransfer } from '../../../core/ledger-payloads.ts'
import { TX_TYPES } from '../../../core/transaction.ts'
import { h } from '../dom.ts'
import { coins, parseAmountInput, transferFee } from '../wallet/ledger.ts'
import { field, input, type SendCtx, txForm } from '../wallet/send-tx.ts'

/** A transfer, signed here; only its bytes go to the node. */
export function sendSection(a: SendCtx): HTMLElement {
  const { l } = a
  const to = input('send-to', { required: true, pattern: '[0-9a-f]{64}' })
  const amount = input('send-amount', { required: true, inputmode: 'decimal' })
  const memo = input('send-memo', { maxlength: 64 })
  const sent = h('ul', { id: 'sent' })
  const form = txForm(
    a,
    sent,
    {
      id: 'send-form',
      status: 'send-status',
      type: TX_TYPES.TRANSFER,
      prepare: () => ({
        to: fromHex(to.value.trim().toLowerCase(), 'to', 32),
        amount: parseAmountInput(amount.value, l),
        memo: memo.value,
      }),
      payload: (p, fee) => encodeTransfer({ fee, ...p }),
      what: () => 'Transfer',
    },
    h('h3', null, 'Send'),
    field('send-to', 'To (account key, 64 hex)', to),
    field('send-amount', `Amount (${l.symbol})`, amount, `fee ${coins(transferFee(l), l)}`),
    field('send-memo', 'Memo (optional, up to 64 bytes)', memo),
    h('button', { type: 'submit', id: 'send-submit' }, 'Sign and send'),
  )
  form.append(sent)
  return form
}
