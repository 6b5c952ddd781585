import { ApiError, postJson } from '../api.ts'
import { h, link, notice, short } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { activeKey } from '../wallet/keystore.ts'
import { coins, ledgerOf, watchAccount } from '../wallet/ledger.ts'

const clock = (ms: number) => {
  const s = Math.ceil(ms / 1000)
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

/** What each refusal of POST /v1/faucet means to the person asking (docs/errors.md has the codes). */
const MEANING: { [code: string]: string } = {
  STELE_RATE_LIMITED: 'The faucet gave to this address or to this client recently.',
  STELE_UNAVAILABLE: 'This node runs no faucet (no ledger, or it does not hold the faucet key).',
  STELE_BAD_REQUEST: 'That is not an account key: 64 hexadecimal digits.',
  STELE_INSUFFICIENT_BALANCE: 'The faucet account is empty.',
}

/** Testnet currency for an address, once per cooldown; the cooldown the node answers is counted down here. */
export async function faucetPage(ctx: PageContext): Promise<void> {
  const { main, signal, query, nodeGenesis } = ctx
  const l = ledgerOf(nodeGenesis)
  main.append(h('h1', null, 'Faucet'))
  if (!l) {
    main.append(
      notice(
        'info',
        h('strong', { class: 'not-yet' }, 'Not on this node yet: '),
        'this chain has no ledger.',
      ),
    )
    return
  }
  main.append(
    h(
      'p',
      null,
      `Grants ${coins(l.faucetGrant, l)} of testnet currency to an address, once per address and client per cooldown.`,
    ),
  )
  const address = h('input', {
    id: 'faucet-address',
    required: true,
    pattern: '[0-9a-fA-F]{64}',
    autocomplete: 'off',
    spellcheck: 'false',
    value: query.get('address') ?? activeKey() ?? '',
  })
  const submit = h('button', { type: 'submit', id: 'faucet-submit' }, `Request ${l.symbol}`)
  const result = h('div', { id: 'faucet-result', 'aria-live': 'polite' })
  let ticker: ReturnType<typeof setInterval> | undefined
  signal.addEventListener('abort', () => clearInterval(ticker))

  const cooldown = (ms: number) => {
    const until = Date.now() + ms
    const left = h('strong', { id: 'cooldown' }, clock(ms))
    submit.disabled = true
    clearInterval(ticker)
    // A display clock, one tick a second; the node enforces the cooldown itself.
    ticker = setInterval(() => {
      const rest = until - Date.now()
      if (rest > 0) {
        left.textContent = clock(rest)
        return
      }
      clearInterval(ticker)
      submit.disabled = false
      left.textContent = 'now'
    }, 1000)
    return h('span', null, ' Try again in ', left, '.')
  }

  main.append(
    h(
      'form',
      {
        id: 'faucet-form',
        onsubmit: async (e) => {
          e.preventDefault()
          const to = address.value.trim().toLowerCase()
          submit.disabled = true
          result.replaceChildren(notice('info', 'Asking the faucet…'))
          // One stream per request, closed once it is answered (or the page is left).
          const ac = new AbortController()
          const stop = () => ac.abort()
          signal.addEventListener('abort', stop)
          const watch = watchAccount(to, ac.signal)
          try {
            await watch.ready
            const r = await postJson<{ hash: string; amount: string; symbol: string }>(
              '/v1/faucet',
              { address: to },
              signal,
            )
            const state = h('span', { class: 'status pending', id: 'faucet-state' }, 'pending')
            result.dataset['code'] = 'ok'
            result.replaceChildren(
              notice(
                'ok',
                `Granted ${coins(r.amount, l)}: transaction `,
                link(`/tx/${r.hash}`, short(r.hash)),
                ' ',
                state,
              ),
            )
            const t = await watch.confirmed(r.hash)
            state.className = 'status confirmed'
            state.textContent = `confirmed in block ${t.blockHeight}`
            submit.disabled = false
          } catch (err) {
            const code = err instanceof ApiError ? err.code : 'ERROR'
            result.dataset['code'] = code
            const wait = err instanceof ApiError ? Number(err.details['retryAfterMs'] ?? 0) : 0
            result.replaceChildren(
              notice(
                'error',
                h('code', null, code),
                ' ',
                MEANING[code] ?? (err as Error).message,
                wait > 0 ? cooldown(wait) : null,
              ),
            )
            if (!(wait > 0)) submit.disabled = false
          } finally {
            stop()
            signal.removeEventListener('abort', stop)
          }
        },
      },
      h(
        'p',
        { class: 'field' },
        h('label', { for: 'faucet-address' }, 'Address (account key, 64 hex)'),
        address,
      ),
      submit,
    ),
    result,
  )
}
