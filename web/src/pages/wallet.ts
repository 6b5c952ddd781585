import { toHex } from '../../../core/bytes.ts'
import type { GenesisLedger } from '../../../core/genesis-ledger.ts'
import { type AccountView, getJson, type TxView } from '../api.ts'
import { h, link, mono, notice, short } from '../dom.ts'
import type { PageContext } from '../router.ts'
import { historyTable } from '../wallet/history.ts'
import {
  activeKey,
  createKey,
  exportKeyFile,
  importKeyFile,
  lock,
  removeKey,
  setActive,
  unlock,
  unlockedKey,
  walletKeys,
} from '../wallet/keystore.ts'
import {
  announce,
  coins,
  ledgerOf,
  parseAmountInput,
  signTransfer,
  transferFee,
  watchAccount,
} from '../wallet/ledger.ts'
import { actionSections } from './wallet-actions.ts'

/** Lets the page paint a "working" line before scrypt holds the main thread for a second. */
const paint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))

const field = (id: string, label: string, input: HTMLElement, hint?: string) =>
  h(
    'p',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', { class: 'muted' }, hint) : null,
  )

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
    main.append(
      notice(
        'info',
        h('strong', { class: 'not-yet' }, 'Not on this node yet: '),
        'this chain has no ledger.',
      ),
    )
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
      sendSection(ctx, me, l, watch, refresh),
      actionSections(ctx, me, l, watch, refresh),
      h('h3', null, 'History'),
      history,
      keyFileSection(ctx, me),
    ),
  )
  await watch.ready
}

function lockSection(ctx: PageContext, me: string): HTMLElement {
  if (unlockedKey(me))
    return h(
      'p',
      { id: 'lock-state', 'data-unlocked': 'true' },
      'Unlocked in this tab. ',
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            lock(me)
            ctx.navigate('/wallet', true)
          },
        },
        'Lock',
      ),
    )
  const pass = h('input', {
    id: 'unlock-pass',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  })
  const status = h('span', { role: 'status' })
  return h(
    'form',
    {
      id: 'unlock-form',
      class: 'inline-form',
      onsubmit: async (e) => {
        e.preventDefault()
        status.textContent = 'Opening the key…'
        await paint()
        try {
          unlock(me, pass.value)
          ctx.navigate('/wallet', true)
        } catch (err) {
          status.textContent = (err as Error).message
          status.className = 'error'
        }
      },
    },
    h('label', { for: 'unlock-pass' }, 'Passphrase to unlock this key'),
    pass,
    h('button', { type: 'submit' }, 'Unlock'),
    status,
  )
}

function sendSection(
  ctx: PageContext,
  me: string,
  l: GenesisLedger,
  watch: ReturnType<typeof watchAccount>,
  refresh: () => Promise<void>,
): HTMLElement {
  const fee = transferFee(l)
  const to = h('input', {
    id: 'send-to',
    required: true,
    pattern: '[0-9a-f]{64}',
    autocomplete: 'off',
    spellcheck: 'false',
  })
  const amount = h('input', { id: 'send-amount', required: true, inputmode: 'decimal', autocomplete: 'off' })
  const memo = h('input', { id: 'send-memo', maxlength: 64, autocomplete: 'off' })
  const status = h('div', { id: 'send-status', 'aria-live': 'polite' })
  const sent = h('ul', { id: 'sent' })
  return h(
    'form',
    {
      id: 'send-form',
      onsubmit: async (e) => {
        e.preventDefault()
        const key = unlockedKey(me)
        if (!key) {
          status.replaceChildren(notice('warn', 'Unlock the key first: transfers are signed in this page.'))
          return
        }
        try {
          const a = await getJson<AccountView>(`/v1/accounts/${me}`, ctx.signal)
          const tx = signTransfer(key, {
            chainId: ctx.nodeGenesis.chainId,
            to: to.value.trim().toLowerCase(),
            amount: parseAmountInput(amount.value, l),
            memo: memo.value,
            fee,
            // The pending nonce: a second transfer may follow the first before a block seals it.
            nonce: a.pending.nonce,
          })
          const hash = toHex(tx.hash)
          await watch.ready
          await announce(tx, ctx.signal)
          const state = h('span', { class: 'status pending' }, 'pending')
          sent.append(h('li', { 'data-tx': hash }, link(`/tx/${hash}`, short(hash)), ' ', state))
          status.replaceChildren(notice('info', 'Sent; waiting for a block to seal it.'))
          void refresh().catch(() => undefined)
          const t = await watch.confirmed(hash)
          state.className = 'status confirmed'
          state.textContent = `confirmed in block ${t.blockHeight}`
          status.replaceChildren(notice('ok', `Confirmed in block ${t.blockHeight}.`))
        } catch (err) {
          const code = (err as { code?: string }).code
          status.replaceChildren(
            notice('error', code ? h('code', null, code) : null, code ? ' ' : null, (err as Error).message),
          )
        }
      },
    },
    h('h3', null, 'Send'),
    field('send-to', 'To (account key, 64 hex)', to),
    field('send-amount', `Amount (${l.symbol})`, amount, `fee ${coins(fee, l)}`),
    field('send-memo', 'Memo (optional, up to 64 bytes)', memo),
    h('button', { type: 'submit', id: 'send-submit' }, 'Sign and send'),
    status,
    sent,
  )
}

function keyFileSection(ctx: PageContext, me: string): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'h-keyfile' },
    h('h3', { id: 'h-keyfile' }, 'Key file'),
    h(
      'p',
      null,
      h(
        'button',
        {
          type: 'button',
          id: 'export-key',
          onclick: () => {
            const url = URL.createObjectURL(new Blob([exportKeyFile(me)], { type: 'application/json' }))
            const a = h('a', { href: url, download: `stele-${me.slice(0, 12)}.key.json` })
            document.body.append(a)
            a.click()
            a.remove()
            setTimeout(() => URL.revokeObjectURL(url), 60_000)
          },
        },
        'Download the key file',
      ),
      ' ',
      h(
        'button',
        {
          type: 'button',
          id: 'remove-key',
          onclick: () => {
            if (
              !confirm('Remove this key from this browser? Without an exported key file its coins are lost.')
            )
              return
            removeKey(me)
            ctx.navigate('/wallet', true)
          },
        },
        'Remove from this browser',
      ),
    ),
    h('p', { class: 'muted small' }, 'The file is sealed with your passphrase, in the format the CLI reads.'),
  )
}

function addKeySection(ctx: PageContext): HTMLElement {
  const status = h('div', { id: 'key-status', 'aria-live': 'polite' })
  const fail = (err: unknown) => status.replaceChildren(notice('error', (err as Error).message))
  const pass1 = h('input', {
    id: 'new-pass',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: 8,
  })
  const pass2 = h('input', {
    id: 'new-pass2',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
  })
  const file = h('input', {
    id: 'import-file',
    type: 'file',
    accept: '.json,.key,application/json',
    required: true,
  })
  const ipass = h('input', {
    id: 'import-pass',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  })
  return h(
    'section',
    { 'aria-labelledby': 'h-add' },
    h('h2', { id: 'h-add' }, walletKeys().length ? 'Add a key' : 'Create or import a key'),
    h(
      'div',
      { class: 'cols' },
      h(
        'form',
        {
          id: 'create-form',
          onsubmit: async (e) => {
            e.preventDefault()
            if (pass1.value !== pass2.value) return fail(new Error('the two passphrases differ'))
            status.replaceChildren(notice('info', 'Making the key and sealing it…'))
            await paint()
            try {
              createKey(pass1.value)
              ctx.navigate('/wallet', true)
            } catch (err) {
              fail(err)
            }
          },
        },
        h('h3', null, 'New key'),
        field('new-pass', 'Passphrase (at least 8 characters)', pass1),
        field('new-pass2', 'Passphrase again', pass2),
        h('button', { type: 'submit', id: 'create-key' }, 'Create key'),
      ),
      h(
        'form',
        {
          id: 'import-form',
          onsubmit: async (e) => {
            e.preventDefault()
            const f = file.files?.[0]
            if (!f) return fail(new Error('choose a key file'))
            status.replaceChildren(notice('info', 'Opening the key file…'))
            await paint()
            try {
              importKeyFile(await f.text(), ipass.value)
              ctx.navigate('/wallet', true)
            } catch (err) {
              fail(err)
            }
          },
        },
        h('h3', null, 'Import a key file'),
        field('import-file', 'Key file (from stele account new, or exported here)', file),
        field('import-pass', 'Its passphrase (for a plain file: one to seal it with here)', ipass),
        h('button', { type: 'submit', id: 'import-key' }, 'Import key'),
      ),
    ),
    status,
  )
}
