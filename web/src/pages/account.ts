import { type AccountProofBundle, verifyAccountProof } from '../../../core/account-proof.ts'
import { type GenesisJson as CoreGenesisJson, genesisFromJson } from '../../../core/genesis.ts'
import { type AccountView, ApiError, getJson, type TxView } from '../api.ts'
import { fields, h, link, mono, notice } from '../dom.ts'
import { proofPanel } from '../proof-panel.ts'
import type { PageContext } from '../router.ts'
import { pinnedGenesis, unpinnedNote } from '../trust.ts'
import { historyTable } from '../wallet/history.ts'
import { walletKeys } from '../wallet/keystore.ts'
import { coins, ledgerOf } from '../wallet/ledger.ts'

/** The six named checks of docs/protocol.md §9.7 (seven with a registered producer's `registrations`). */
const ACCOUNT_CHECKS = 6

/**
 * An account: balance, roles, nonce and history from the ledger routes, and its state proof checked in the page by
 * core's verifier against the pinned genesis. A node without the ledger routes gets "not on this node yet".
 */
export async function accountPage({ main, signal, params, nodeGenesis }: PageContext): Promise<void> {
  const key = params['key']!.toLowerCase()
  const l = ledgerOf(nodeGenesis)
  main.append(h('h1', null, 'Account'))
  let a: AccountView
  try {
    a = await getJson<AccountView>(`/v1/accounts/${encodeURIComponent(key)}`, signal)
  } catch (e) {
    if (e instanceof ApiError && (e.missingRoute || e.code === 'STELE_UNAVAILABLE')) {
      main.append(
        fields([['Key', mono(key)]]),
        notice(
          'info',
          h('strong', { class: 'not-yet' }, 'Not on this node yet: '),
          'this node has no ledger.',
        ),
      )
      return
    }
    throw e
  }
  const mine = walletKeys().some((k) => k.publicKey === key)
  main.append(
    fields([
      ['Key', [mono(key), mine ? h('span', { class: 'tag' }, ' in your wallet') : null]],
      ['Balance', h('span', { id: 'account-balance', 'data-base': a.balance }, coins(a.balance, l))],
      ['With pending', a.pending.balance === a.balance ? 'no pending change' : coins(a.pending.balance, l)],
      ['Next nonce', String(a.nonce)],
      ['Roles', a.roles.length ? a.roles.join(', ') : 'none'],
      ['As of block', link(`/blocks/${a.height}`, String(a.height))],
    ]),
    mine ? h('p', null, link('/wallet', 'Open in the wallet')) : '',
  )
  const history = await getJson<{ items: TxView[]; nextCursor: string | null }>(
    `/v1/accounts/${key}/transactions?limit=50`,
    signal,
  )
  main.append(
    h(
      'section',
      { 'aria-labelledby': 'h-history', id: 'history' },
      h('h2', { id: 'h-history' }, 'History'),
      historyTable(history.items, key, l),
      history.nextCursor ? h('p', { class: 'muted small' }, 'The 50 newest are shown.') : null,
    ),
  )
  let bundle: AccountProofBundle
  try {
    bundle = await getJson<AccountProofBundle>(`/v1/accounts/${key}/proof`, signal)
  } catch (e) {
    if (e instanceof ApiError && e.code === 'STELE_UNAVAILABLE') {
      main.append(notice('info', e.message))
      return
    }
    throw e
  }
  const verify = (b: AccountProofBundle) => {
    const pinned = pinnedGenesis()
    let trusted: ReturnType<typeof genesisFromJson> | undefined
    try {
      trusted = pinned ? genesisFromJson(pinned as CoreGenesisJson) : undefined
    } catch {
      trusted = undefined
    }
    return verifyAccountProof(b, trusted).checks
  }
  main.append(
    h(
      'section',
      { 'aria-labelledby': 'h-proof' },
      h('h2', { id: 'h-proof' }, 'State proof'),
      h(
        'p',
        { class: 'muted' },
        'The account value (or its absence) against the state root of the latest signed block, checked here with core’s verifier.',
      ),
      proofPanel({
        title: 'Account proof check',
        bundle,
        check: verify,
        expected: (b: AccountProofBundle) => ACCOUNT_CHECKS + (b.registrations === undefined ? 0 : 1),
        filename: `account-proof-${key.slice(0, 12)}.json`,
        signal,
        note: unpinnedNote,
      }),
    ),
  )
}
