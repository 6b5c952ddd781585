import { checklist } from './checklist.ts'
import type { Check } from './checks.ts'
import { h, notice } from './dom.ts'

/**
 * A proof checked in the page: the named checks and verdict, a download for `stele verify`, and an editor to change
 * the proof and check it again (the check that covers a changed byte fails). `check` runs core's verifier.
 */
export function proofPanel<B>(opts: {
  title: string
  bundle: B
  check: (bundle: B) => Check[]
  /** How many checks a passing run has (a bundle with `registrations` has one more, docs/protocol.md §6.4). */
  expected: number | ((bundle: B) => number)
  filename: string
  /** Says what reads the download; `stele verify` by default. */
  downloadLabel?: string
  signal: AbortSignal
  /** A note above the checks (e.g. that no genesis is pinned). */
  note?: () => HTMLElement | null
}): HTMLElement {
  const result = h('div', { id: 'proof-result' })
  const verify = (b: B) =>
    result.replaceChildren(
      opts.note?.() ?? '',
      checklist(
        opts.title,
        opts.check(b),
        typeof opts.expected === 'function' ? opts.expected(b) : opts.expected,
      ),
    )
  verify(opts.bundle)
  const json = JSON.stringify(opts.bundle, null, 2)
  const editor = h('textarea', { id: 'proof-json', rows: 12, spellcheck: 'false', class: 'mono' }, json)
  const download = h(
    'a',
    { href: URL.createObjectURL(new Blob([json], { type: 'application/json' })), download: opts.filename },
    opts.downloadLabel ?? 'Download the proof (for stele verify)',
  )
  opts.signal.addEventListener('abort', () => URL.revokeObjectURL(download.href))
  return h(
    'div',
    null,
    result,
    h('p', null, download),
    h(
      'details',
      null,
      h('summary', null, 'Edit the proof and verify again'),
      h('label', { for: 'proof-json' }, 'Proof (JSON). Change any byte and the check that covers it fails.'),
      editor,
      h(
        'button',
        {
          type: 'button',
          id: 'reverify',
          onclick: () => {
            try {
              verify(JSON.parse(editor.value) as B)
            } catch (e) {
              result.replaceChildren(notice('error', `Not JSON: ${(e as Error).message}`))
            }
          },
        },
        'Verify this proof',
      ),
    ),
  )
}
