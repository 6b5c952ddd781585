import { ApiError, getJson } from '../api.ts'
import { fields, h, mono, notice } from '../dom.ts'
import type { PageContext } from '../router.ts'

/**
 * Accounts belong to the ledger layer. Until a node serves GET /v1/accounts/:key, the page says so (the API's own
 * "no route" 404) rather than show anything made up.
 */
export async function accountPage({ main, signal, params }: PageContext): Promise<void> {
  const key = params['key']!
  main.append(h('h1', null, 'Account'), fields([['Key', mono(key)]]))
  try {
    const account = await getJson<{ [k: string]: unknown }>(`/v1/accounts/${encodeURIComponent(key)}`, signal)
    main.append(
      fields(
        Object.entries(account).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
      ),
    )
  } catch (e) {
    if (e instanceof ApiError && e.missingRoute) {
      main.append(
        notice(
          'info',
          h('strong', { class: 'not-yet' }, 'Not on this node yet: '),
          'this node has no accounts API (the ledger layer).',
        ),
      )
      return
    }
    if (e instanceof ApiError && e.status === 404) {
      main.append(notice('warn', `No account ${key}.`))
      return
    }
    throw e
  }
}
