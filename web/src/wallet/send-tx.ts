import { toHex } from '../../../core/bytes.ts'
import type { GenesisLedger } from '../../../core/genesis-ledger.ts'
import { minFee } from '../../../core/genesis-ledger.ts'
import { type AccountView, getJson, type TxView } from '../api.ts'
import { h, link, notice, short } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { unlockedKey } from './keystore.ts'
import { type AccountWatch, announce, signLedgerTx } from './ledger.ts'

/** What a wallet form needs: the page, the account, its chain's ledger, the confirmations and the balance refresh. */
export interface SendCtx {
  ctx: PageContext
  me: string
  l: GenesisLedger
  watch: AccountWatch
  refresh: () => Promise<void>
}

type Child = Parameters<typeof h>[2]

/** A labelled form field, with an optional hint under it. */
export const field = (id: string, label: string, input: HTMLElement, hint?: string): HTMLElement =>
  h(
    'p',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', { class: 'muted' }, hint) : null,
  )

export const input = (id: string, attrs: { [k: string]: string | number | boolean } = {}): HTMLInputElement =>
  h('input', { id, autocomplete: 'off', spellcheck: 'false', ...attrs }) as HTMLInputElement

/** An error in a form's status line, with its code (also as `data-code`) when it has one. */
export function showError(status: HTMLElement, err: unknown): void {
  const code = (err as { code?: string }).code
  status.replaceChildren(
    notice(
      'error',
      code ? h('code', { class: 'code' }, code) : null,
      code ? ' ' : null,
      (err as Error).message,
    ),
  )
  if (code) status.dataset['code'] = code
}

/**
 * Signs `payload(fee)` with the unlocked key at the account's pending nonce (a second transaction may follow the first
 * before a block seals it), announces it, lists it as pending in `sent` and marks it confirmed when the stream
 * brings its block. Null when it was not sent or failed (the status line says why).
 */
export async function sendTx(
  a: SendCtx,
  type: number,
  payload: (fee: bigint) => Uint8Array,
  what: string,
  status: HTMLElement,
  sent: HTMLElement,
): Promise<TxView | null> {
  const key = unlockedKey(a.me)
  if (!key) {
    status.replaceChildren(notice('warn', 'Unlock the key first: transactions are signed in this page.'))
    return null
  }
  try {
    const acct = await getJson<AccountView>(`/v1/accounts/${a.me}`, a.ctx.signal)
    const tx = signLedgerTx(key, {
      chainId: a.ctx.nodeGenesis.chainId,
      type,
      nonce: acct.pending.nonce,
      payload: payload(minFee(a.l, type)),
    })
    const hash = toHex(tx.hash)
    await a.watch.ready
    await announce(tx, a.ctx.signal)
    const state = h('span', { class: 'status pending' }, 'pending')
    sent.append(
      h(
        'li',
        { 'data-tx': hash, 'data-what': what },
        `${what} `,
        link(`/tx/${hash}`, short(hash)),
        ' ',
        state,
      ),
    )
    status.replaceChildren(notice('info', `${what}: sent; waiting for a block to seal it.`))
    void a.refresh().catch(() => undefined)
    const t = await a.watch.confirmed(hash)
    state.className = 'status confirmed'
    state.textContent = `confirmed in block ${t.blockHeight}`
    status.replaceChildren(notice('ok', `${what}: confirmed in block ${t.blockHeight}.`))
    return t
  } catch (err) {
    showError(status, err)
    return null
  }
}

/** One transaction form: what it reads from its inputs, the payload it signs, what follows the confirmation. */
export interface TxFormSpec<P> {
  id: string
  class?: string
  type: number
  /** The status line's id. */
  status: string
  /** Reads the inputs (may upload first); undefined sends nothing, a throw is shown. */
  prepare: (status: HTMLElement) => P | undefined | Promise<P | undefined>
  payload: (p: P, fee: bigint) => Uint8Array
  what: (p: P) => string
  /** After the block seals it. */
  done?: (t: TxView, p: P, status: HTMLElement) => void | Promise<void>
}

/** A form that signs and sends one transaction on submit; `children` are its fields and button, the status follows. */
export function txForm<P>(
  a: SendCtx,
  sent: HTMLElement,
  o: TxFormSpec<P>,
  ...children: Child[]
): HTMLFormElement {
  const status = h('div', { id: o.status, 'aria-live': 'polite' })
  return h(
    'form',
    {
      id: o.id,
      class: o.class,
      onsubmit: async (e) => {
        e.preventDefault()
        let p: P | undefined
        try {
          p = await o.prepare(status)
        } catch (err) {
          return showError(status, err)
        }
        if (p === undefined) return
        const ready = p
        const t = await sendTx(a, o.type, (fee) => o.payload(ready, fee), o.what(ready), status, sent)
        if (t) await o.done?.(t, ready, status)
      },
    },
    ...children,
    status,
  )
}
