import type { GenesisLedger } from '../../../core/genesis-ledger.ts'
import { type AccountView, getJson, type TxView } from '../api.ts'
import { h, link, mono, short } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { historyTable } from '../wallet/history.ts'
import { activeKey, setActive, walletKeys } from '../wallet/keystore.ts'
import { coins, ledgerOf, watchAccount } from '../wallet/ledger.ts'
import { field } from '../wallet/send-tx.ts'
import { notYet } from './not-yet.ts'
import { actionSections } from './wallet-actions.ts'
import { addKeySection, keyFileSection, lockSection } from './wallet-keys.ts'
import { sendSection } from './wallet-send.ts'

/**
 * The wallet: keys created or imported here stay here (sealed in localStorage, docs/protocol.md §9.7.1), transfers
 * are signed here and only their bytes go to the node, and confirmations arrive over the stream.
 */
export async function walletPage(ctx: PageContext): Promise<void> {
  const { main, nodeGenesis } = ctx
  const l = ledgerOf(nodeGenesis)
  main.append(
    h('h1', null, 'Wallet'),
    h(
      'p',
      { class: 'muted' },
      'Keys stay in this browser, sealed with your passphrase (scrypt and NaCl secretbox); the node never sees them. ',
      'Export a key file to use it with ',
      h('code', null, 'stele transfer --key'),
      '.',
    ),
  )
  if (!l) {
    notYet(main, 'this chain has no ledger.')
    return
  }
  const me = activeKey()
  if (me) await accountSection(ctx, me, l)
  main.append(addKeySection(ctx))
}

async function accountSection(ctx: PageContext, me: string, l: GenesisLedger): Promise<void> {
  const { main, signal } = ctx
  const keys = walletKeys()
  const balance = h('dd', { id: 'wallet-balance', 'aria-live': 'polite' }, '…')
  const pending = h('dd', { id: 'wallet-pending' }, '…')
  const nonce = h('dd', { id: 'wallet-nonce' }, '…')
  const history = h('div', { id: 'history' })

  const refresh = async () => {
    const [a, page] = await Promise.all([
      getJson<AccountView>(`/v1/accounts/${me}`, signal),
      getJson<{ items: TxView[] }>(`/v1/accounts/${me}/transactions?limit=20`, signal),
    ])
    balance.textContent = coins(a.balance, l)
    balance.dataset['base'] = a.balance
    pending.textContent = a.pending.balance === a.balance ? 'none' : coins(a.pending.balance, l)
    nonce.textContent = String(a.nonce)
    history.replaceChildren(historyTable(page.items, me, l))
  }
  const watch = watchAccount(me, ctx.signal, () => void refresh().catch(() => undefined))

  const picker =
    keys.length > 1
      ? field(
          'wallet-account',
          'Account',
          h(
            'select',
            {
              id: 'wallet-account',
              onchange: (e) => {
                setActive((e.target as HTMLSelectElement).value)
                ctx.navigate('/wallet', true)
              },
            },
            ...keys.map((k) =>
              h('option', { value: k.publicKey, selected: k.publicKey === me }, short(k.publicKey)),
            ),
          ),
        )
      : null

  // The balance is read before the section shows, so the address never appears beside a blank balance.
  await refresh()
  main.append(
    h(
      'section',
      { 'aria-labelledby': 'h-account' },
      h('h2', { id: 'h-account' }, 'Account'),
      picker,
      h(
        'dl',
        { class: 'fields' },
        h('dt', null, 'Address'),
        h(
          'dd',
          { id: 'wallet-address', 'data-key': me },
          mono(me),
          ' ',
          link(`/accounts/${me}`, 'account page'),
        ),
        h('dt', null, 'Balance'),
        balance,
        h('dt', null, 'With pending'),
        pending,
        h('dt', null, 'Next nonce'),
        nonce,
      ),
      h('p', null, link(`/faucet?address=${me}`, `Get testnet ${l.symbol} from the faucet`)),
      lockSection(ctx, me),
      sendSection({ ctx, me, l, watch, refresh }),
      actionSections(ctx, me, l, watch, refresh),
      h('h3', null, 'History'),
      history,
      keyFileSection(ctx, me),
    ),
  )
  await watch.ready
}
