import type { GenesisJson } from './api.ts'
import { h, notice } from './dom.ts'

const KEY = 'stele.trustedGenesis'

/** The genesis the user pinned on first visit: the one thing proofs are checked against. */
export function pinnedGenesis(): GenesisJson | null {
  try {
    const raw = localStorage.getItem(KEY)
    return raw ? (JSON.parse(raw) as GenesisJson) : null
  } catch {
    return null
  }
}

/** Above a proof check made without a pinned genesis: it trusts the genesis inside the proof. */
export const unpinnedNote = (): HTMLElement | null =>
  pinnedGenesis()
    ? null
    : notice('warn', 'No genesis pinned: this check trusts the genesis inside the proof. Pin one above.')

export function pinGenesis(g: GenesisJson): void {
  localStorage.setItem(KEY, JSON.stringify(g))
}

export function forgetGenesis(): void {
  localStorage.removeItem(KEY)
}

/**
 * The trust bar: on first visit, offers to pin this node's genesis (shown by hash, to compare with one you got out of
 * band); afterwards, says whether this node still serves the pinned chain.
 */
export function renderTrust(el: HTMLElement, nodeGenesis: GenesisJson, onChange: () => void): void {
  const pinned = pinnedGenesis()
  el.replaceChildren()
  if (!pinned) {
    el.append(
      h(
        'section',
        { class: 'trust warn', 'aria-label': 'Genesis to trust' },
        h(
          'p',
          null,
          'Proofs are checked against a genesis you trust. This node serves genesis ',
          h('code', { class: 'mono hash' }, nodeGenesis.hash ?? '?'),
          ` (chain ${nodeGenesis.chainId}). Compare it with one you got from a source you trust, then pin it.`,
        ),
        h(
          'button',
          {
            type: 'button',
            id: 'pin-genesis',
            onclick: () => {
              pinGenesis(nodeGenesis)
              onChange()
            },
          },
          'Pin this genesis',
        ),
      ),
    )
    return
  }
  if (pinned.hash !== nodeGenesis.hash) {
    el.append(
      h(
        'section',
        { class: 'trust error', role: 'alert' },
        h(
          'p',
          null,
          'This node serves another chain than the genesis you pinned (',
          h('code', { class: 'mono' }, pinned.hash ?? '?'),
          '). Its proofs will fail the genesis check.',
        ),
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              forgetGenesis()
              onChange()
            },
          },
          'Forget the pinned genesis',
        ),
      ),
    )
    return
  }
  el.append(
    h(
      'p',
      { class: 'trust ok' },
      'Trusting genesis ',
      h('code', { class: 'mono', title: pinned.hash ?? '' }, `${(pinned.hash ?? '').slice(0, 16)}…`),
      ` (chain ${pinned.chainId}), pinned in this browser.`,
    ),
  )
}
