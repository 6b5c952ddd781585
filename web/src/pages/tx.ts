import { getOrNull, type TxView } from '../api.ts'
import { checklist } from '../checklist.ts'
import { checkTx, checkTxInclusion } from '../checks.ts'
import { fields, h, link, mono, notice } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { pinnedGenesis } from '../trust.ts'
import { coins, ledgerOf } from '../wallet/ledger.ts'

export async function txPage({ main, signal, params, nodeGenesis }: PageContext): Promise<void> {
  const hash = params['hash']!
  main.append(h('h1', null, 'Transaction'))
  const t = await getOrNull<TxView>(`/v1/transactions/${encodeURIComponent(hash)}`, signal)
  if (!t) {
    main.append(notice('warn', `No transaction ${hash} on this node.`))
    return
  }
  main.append(
    fields([
      ['Hash', mono(t.hash)],
      ['Type', t.type],
      ['Status', h('span', { class: `status ${t.status}` }, t.status)],
      [
        'Block',
        t.blockHeight === null
          ? 'not yet in a block'
          : link(`/blocks/${t.blockHeight}`, `${t.blockHeight} (index ${t.index})`),
      ],
      ['Time', t.timeIso ?? (t.blockHeight === null ? 'pending' : '')],
      ['Signer', link(`/accounts/${t.signer}`, mono(t.signer))],
      ['Nonce', String(t.nonce)],
      ['Chain', t.chainId],
    ]),
    h(
      'section',
      { 'aria-labelledby': 'h-payload' },
      h('h2', { id: 'h-payload' }, 'Payload'),
      payloadView(t.payload, ledgerOf(nodeGenesis)),
    ),
    checklist('Signature check', checkTx(t), 3),
    t.blockHeight === null
      ? ''
      : checklist(
          'Inclusion check',
          checkTxInclusion(t, pinnedGenesis() ?? nodeGenesis),
          t.proof?.registrations === undefined ? 4 : 5,
          'inclusion',
        ),
  )
}

type Ledger = ReturnType<typeof ledgerOf>

const ref =
  (path: string) =>
  (v: unknown): Node =>
    link(`${path}${String(v)}`, mono(String(v)))
const coinsOf = (v: unknown, l: Ledger): Node => document.createTextNode(coins(String(v), l))
const jsonOf = (v: unknown): Node => h('pre', { class: 'mono' }, JSON.stringify(v, null, 2))

/** How a payload field the node decoded (node/chain/tx-view.ts) reads: accounts, drives, … linked, amounts in coins. */
const FIELD: { [name: string]: (v: unknown, l: Ledger) => Node } = {
  to: ref('/accounts/'),
  node: ref('/accounts/'),
  producer: ref('/accounts/'),
  drive: ref('/drives/'),
  contract: ref('/contracts/'),
  call: ref('/tx/'),
  height: ref('/blocks/'),
  cid: ref('/storage/'),
  codeCid: ref('/storage/'),
  amount: (v, l) => h('strong', { id: 'tx-amount' }, coinsOf(v, l)),
  fee: coinsOf,
  price: coinsOf,
  escrow: coinsOf,
  args: jsonOf,
  events: jsonOf,
  state: jsonOf,
  filter: jsonOf,
}

/** `gasLimit` → `Gas limit`. */
const label = (k: string): string => {
  const words = k.replace(/([A-Z])/g, ' $1').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** The payload as the node decoded it; a type it does not know arrives as hex. */
function payloadView(p: unknown, l: Ledger): HTMLElement {
  if (!p || typeof p !== 'object' || Array.isArray(p)) return h('pre', { class: 'mono' }, String(p))
  const dl = fields(
    Object.entries(p).map(([k, v]) => {
      const show = FIELD[k]
      if (show) return [label(k), show(v, l)]
      if (Array.isArray(v)) return [label(k), v.join(', ') || '(none)']
      if (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)) return [label(k), mono(v)]
      return [label(k), typeof v === 'object' && v !== null ? jsonOf(v) : String(v)]
    }),
  )
  dl.id = 'tx-decoded'
  return dl
}
