import { getOrNull, type TxView } from '../api.ts'
import { checklist } from '../checklist.ts'
import { checkTx } from '../checks.ts'
import { fields, h, link, mono, notice } from '../dom.ts'
import type { PageContext } from '../router.ts'

export async function txPage({ main, signal, params }: PageContext): Promise<void> {
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
      ['Signer', mono(t.signer)],
      ['Nonce', String(t.nonce)],
      ['Chain', t.chainId],
    ]),
    h(
      'section',
      { 'aria-labelledby': 'h-payload' },
      h('h2', { id: 'h-payload' }, 'Payload'),
      payloadView(t.payload),
    ),
    checklist('Signature check', checkTx(t), 3),
  )
}

/** Decoded payloads are objects of simple fields; unknown types arrive as hex. */
function payloadView(p: unknown): HTMLElement {
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
