type Child = Node | string | number | null | undefined | false
type Attrs = { [name: string]: string | number | boolean | null | undefined | ((e: Event) => void) }

/**
 * Builds an element. Text goes in as text nodes and attributes through setAttribute, never innerHTML, so values from
 * the node (device ids, sensor names) cannot inject markup. `on…` attributes given a function become listeners.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (attrs)
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v === 'function') el.addEventListener(k.slice(2), v)
      else if (v === true) el.setAttribute(k, '')
      else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v))
    }
  for (const c of children.flat())
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c))
  return el
}

/** A definition list row set: [term, value] pairs, for header fields and the like. */
export function fields(rows: [string, Child | Child[]][]): HTMLDListElement {
  return h('dl', { class: 'fields' }, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]))
}

export function table(caption: string, head: string[], rows: Child[][], cls = ''): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: cls },
      h('caption', { class: 'sr' }, caption),
      h('thead', null, h('tr', null, ...head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, ...rows.map((r) => h('tr', null, ...r.map((c) => h('td', null, c))))),
    ),
  )
}

export const link = (href: string, text: Child, cls?: string): HTMLAnchorElement =>
  h('a', { href, class: cls }, text)

export const mono = (text: string, title?: string): HTMLElement =>
  h('code', { class: 'mono', title: title ?? text }, text)

/** The first 12 hex digits of a hash, full value in the title (and to screen readers via the link text). */
export const short = (hex: string): string => (hex.length > 16 ? `${hex.slice(0, 12)}…` : hex)

/** A size for people: bytes, KiB or MiB. */
export const bytesText = (n: number): string =>
  n < 1024 ? `${n} B` : n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`

export function timeText(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
}

export function notice(kind: 'info' | 'warn' | 'error' | 'ok', ...children: Child[]): HTMLElement {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children)
}
