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
      typeof t.payload === 'string'
        ? await decodedView(t.bytes, t.payload, ledgerOf(nodeGenesis))
        : payloadView(t.type, t.payload, ledgerOf(nodeGenesis)),
    ),
    checklist('Signature check', checkTx(t), 3),
    t.blockHeight === null
      ? ''
      : checklist('Inclusion check', checkTxInclusion(t, pinnedGenesis() ?? nodeGenesis), 4, 'inclusion'),
  )
}

type Ledger = ReturnType<typeof ledgerOf>
type Payload = { [k: string]: string | string[] | number }

/** The ledger types read as what they do: amounts in coins, accounts linked (docs/protocol.md §9.1). */
function payloadView(type: string, p: unknown, l: Ledger): HTMLElement {
  const o = (p && typeof p === 'object' ? p : {}) as Payload
  const account = (k: unknown) => link(`/accounts/${String(k)}`, mono(String(k)))
  if (type === 'transfer' || type === 'faucet-grant')
    return fields([
      ['Amount', h('strong', { id: 'tx-amount' }, coins(String(o['amount']), l))],
      ['To', account(o['to'])],
      ['Fee', coins(String(o['fee']), l)],
      ...(type === 'transfer' ? ([['Memo', String(o['memo'] ?? '') || '(none)']] as [string, string][]) : []),
    ])
  if (type === 'node-register')
    return fields([
      ['Node', account(o['node'])],
      ['Roles', (o['roles'] as string[]).join(', ') || 'none (registration removed)'],
      ['Endpoints', (o['endpoints'] as string[]).join(', ') || '(none)'],
      ['Fee', coins(String(o['fee']), l)],
    ])
  return plainPayload(p)
}

const REF_PATH: { [k: string]: string } = {
  account: '/accounts/',
  tx: '/tx/',
  contract: '/contracts/',
  drive: '/drives/',
  cid: '/storage/',
  block: '/blocks/',
}

/**
 * Types the node sends as hex (drives, storage proofs, contracts, evidence) decoded in the page from the signed
 * bytes; the decoders (and multiformats) load with the first such transaction.
 */
async function decodedView(bytes: string, hex: string, l: Ledger): Promise<HTMLElement> {
  const { decodePayload } = await import('../tx-decode.ts')
  let rows: ReturnType<typeof decodePayload>
  try {
    rows = decodePayload(bytes)
  } catch (e) {
    return notice('error', `The payload does not decode: ${(e as Error).message}`)
  }
  if (!rows) return plainPayload(hex)
  const dl = fields(
    rows.map(([k, f]) => {
      if ('text' in f) return [k, f.text]
      if ('json' in f) return [k, h('pre', { class: 'mono' }, f.json)]
      if ('coins' in f) return [k, coins(f.coins, l)]
      const path = REF_PATH[f.kind]
      return [k, path ? link(`${path}${f.value}`, mono(f.value)) : mono(f.value)]
    }),
  )
  dl.id = 'tx-decoded'
  return dl
}

/** Other decoded payloads are objects of simple fields; unknown types arrive as hex. */
function plainPayload(p: unknown): HTMLElement {
  if (p && typeof p === 'object' && !Array.isArray(p))
    return fields(
      Object.entries(p).map(([k, v]) => [
        k,
        typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
          ? mono(v)
          : Array.isArray(v)
            ? v.join(', ') || '(none)'
            : String(v),
      ]),
    )
  return h('pre', { class: 'mono' }, String(p))
}
