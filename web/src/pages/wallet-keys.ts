import { h, notice } from '../dom.ts'
import type { PageContext } from '../router.ts'
import {
  createKey,
  exportKeyFile,
  importKeyFile,
  lock,
  removeKey,
  unlock,
  unlockedKey,
  walletKeys,
} from '../wallet/keystore.ts'
import { field } from '../wallet/send-tx.ts'

/** Lets the page paint a "working" line before scrypt holds the main thread for a second. */
const paint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))

/** Unlock (the passphrase opens the sealed key for this tab) or lock the account's key. */
export function lockSection(ctx: PageContext, me: string): HTMLElement {
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

/** Export the sealed key file, or remove the key from this browser. */
export function keyFileSection(ctx: PageContext, me: string): HTMLElement {
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

/** Create a key, or import a key file. */
export function addKeySection(ctx: PageContext): HTMLElement {
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
