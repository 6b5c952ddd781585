import { NodeList } from '../../core/node-list.ts'

/**
 * The nodes the page talks to (issue 17, discovery): the node that served it, then a bootstrap list (`?nodes=URL,URL`,
 * kept in localStorage), refreshed from the chain's `GET /v1/nodes` (core/node-list.ts: only nodes the chain lists).
 * api.ts moves to the next one when the current one fails; pages and the header follow the change.
 */
const SETTING = 'stele.nodes'
const REFRESH_MS = 30_000

/** The configured bootstrap addresses; `?nodes=` replaces the saved setting (empty clears it). */
export function bootstrapSetting(): string[] {
  const q = new URLSearchParams(location.search).get('nodes')
  if (q !== null) saveBootstrap(q)
  return parseAddresses(q ?? localStorage.getItem(SETTING) ?? '')
}

/** The saved bootstrap list, one address a line. */
export const savedBootstrap = (): string => (localStorage.getItem(SETTING) ?? '').split(',').join('\n')

export function saveBootstrap(text: string): void {
  const urls = parseAddresses(text)
  if (urls.length > 0) localStorage.setItem(SETTING, urls.join(','))
  else localStorage.removeItem(SETTING)
}

const parseAddresses = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .filter((u) => /^https?:\/\/[^/]+/.test(u))
    .map((u) => u.replace(/\/+$/, ''))

let list: NodeList | undefined
const listeners = new Set<(url: string) => void>()

export function nodeList(): NodeList {
  list ??= new NodeList({ bootstrap: [location.origin, ...bootstrapSetting()] })
  return list
}

/** The address of the node in use. */
export const currentNode = (): string => nodeList().current()

/** An API path on the node in use. */
export const apiUrl = (path: string): string => currentNode() + path

/** Calls `fn` with the new address whenever the node in use changes; returns the unsubscribe. */
export function onNodeChange(fn: (url: string) => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

const changed = (before: string) => {
  const now = currentNode()
  if (now !== before) for (const fn of listeners) fn(now)
}

/** `url` failed: move to the next node, unless a parallel call already moved on. */
export function nodeFailed(url: string): void {
  if (currentNode() !== url) return
  nodeList().fail()
  changed(url)
  void refreshNodes()
}

let refreshing: Promise<void> | undefined
/** Re-reads the chain's node list (one refresh at a time). */
export function refreshNodes(): Promise<void> {
  refreshing ??= (async () => {
    const before = currentNode()
    try {
      await nodeList().refresh()
    } finally {
      refreshing = undefined
      changed(before)
    }
  })()
  return refreshing
}

/** Refreshes now and then every REFRESH_MS while the page is open. */
export function startNodeRefresh(): void {
  void refreshNodes()
  setInterval(() => void refreshNodes(), REFRESH_MS)
}
