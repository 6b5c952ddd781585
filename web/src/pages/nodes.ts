import { getJson } from '../api.ts'
import { h, link, mono, notice, short, table } from '../dom.ts'
import { currentNode, nodeList, refreshNodes, saveBootstrap, savedBootstrap } from '../nodes.ts'
import type { PageContext } from '../router.ts'

/** One entry of GET /v1/nodes (node/api/nodes.ts), as the answering node sees it. */
export interface NodeEntry {
  key: string
  peerId: string
  roles: string[]
  endpoints: string[]
  self: boolean
  connected: boolean
  head?: number
  headHash?: string
}

interface NodeHealth {
  height: number
  network?: { finalHeight: number; connectedPeers?: number }
}

/** What one node says of itself and of the others; undefined when it did not answer. */
interface Seen {
  address: string
  nodes: NodeEntry[]
  health: NodeHealth
}

const PROBE_MS = 5000
/** The mesh is read again this often while the page is open. */
const REFRESH_MS = 5000

async function probe(address: string, signal: AbortSignal): Promise<Seen | undefined> {
  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(address + path, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_MS)]),
    })
    if (!r.ok) throw new Error(`HTTP ${r.status}`)
    return (await r.json()) as T
  }
  try {
    const [list, health] = await Promise.all([
      get<{ nodes: NodeEntry[] }>('/v1/nodes'),
      get<NodeHealth>('/v1/health'),
    ])
    return { address, nodes: list.nodes, health }
  } catch (e) {
    if (signal.aborted) throw e
    return undefined
  }
}

/**
 * The node mesh (issue 17): every node the chain lists, with its roles, endpoints, head, finality and lag, asked of
 * each node the page can reach (its own answer for itself, the others' view when it does not answer), and who is
 * connected to whom as each node reports it.
 */
export async function nodesPage({ main, signal }: PageContext): Promise<void> {
  const mesh = h('div', { id: 'mesh', 'aria-live': 'polite' })
  main.append(h('h1', null, 'Nodes'), mesh, bootstrapForm())
  mesh.replaceChildren(...(await meshView(signal)))
  // Then read again in the background while the page is open (the router does not wait for it).
  const again = () =>
    setTimeout(async () => {
      if (signal.aborted) return
      try {
        mesh.replaceChildren(...(await meshView(signal)))
      } catch (e) {
        if (signal.aborted) return
        mesh.replaceChildren(notice('error', `The mesh could not be read: ${(e as Error).message}`))
      }
      again()
    }, REFRESH_MS)
  again()
}

async function meshView(signal: AbortSignal): Promise<HTMLElement[]> {
  await refreshNodes()
  const list = nodeList()
  const chain = (await getJson<{ nodes: NodeEntry[] }>('/v1/nodes', signal)).nodes
  const addressOf = (n: NodeEntry): string | undefined =>
    list.addressOf(n.key) ?? n.endpoints.find((e) => /^https?:\/\//.test(e))?.replace(/\/+$/, '')
  const seen = new Map<string, Seen>()
  await Promise.all(
    chain.map(async (n) => {
      const address = addressOf(n)
      const s = address ? await probe(address, signal) : undefined
      if (s) seen.set(n.key, s)
    }),
  )
  /** A node's own entry when it answered, else the freshest head any other node has from it. */
  const headOf = (key: string): NodeEntry | undefined => {
    const own = seen.get(key)?.nodes.find((e) => e.key === key && e.self)
    if (own) return own
    const views = [...seen.values()].flatMap((s) =>
      s.nodes.filter((e) => e.key === key && e.head !== undefined),
    )
    return views.sort((a, b) => (b.head ?? 0) - (a.head ?? 0))[0]
  }
  const top = Math.max(0, ...chain.map((n) => headOf(n.key)?.head ?? 0))
  const name = (key: string) => link(`/accounts/${key}`, mono(short(key), key))
  return [
    h('p', null, 'This page talks to ', h('code', { id: 'mesh-current' }, currentNode()), '.'),
    table(
      'The chain’s nodes',
      ['Node', 'Address', 'Roles', 'Producer', 'Head', 'Head hash', 'Final', 'Lag', 'Peers', 'Reached'],
      chain.map((n) => {
        const s = seen.get(n.key)
        const head = headOf(n.key)
        const connected = s?.nodes.filter((e) => e.connected).length
        return [
          name(n.key),
          addressOf(n) ?? '—',
          n.roles.join(', ') || 'none',
          n.roles.includes('producer') ? 'yes' : 'no',
          head?.head ?? '—',
          head?.headHash ? mono(short(head.headHash), head.headHash) : '—',
          s?.health.network?.finalHeight ?? '—',
          head?.head === undefined ? '—' : top - head.head,
          connected ?? '—',
          s ? 'yes' : 'no',
        ]
      }),
      'mesh-nodes',
    ),
    h('h2', null, 'Peer links'),
    h('p', null, 'A row is what that node reports: ● connected, ○ known but not connected now.'),
    table(
      'Who is connected to whom',
      ['', ...chain.map((n) => short(n.key))],
      chain.map((row) => {
        const s = seen.get(row.key)
        return [
          name(row.key),
          ...chain.map((col) => {
            if (col.key === row.key) return '—'
            const e = s?.nodes.find((x) => x.key === col.key)
            return e === undefined ? '?' : e.connected ? '●' : '○'
          }),
        ]
      }),
      'mesh-links',
    ),
    seen.size < chain.length
      ? notice(
          'info',
          'Nodes without a reachable address are shown as the others see them; add their addresses below.',
        )
      : h('span'),
  ]
}

/** The bootstrap list kept in this browser, beside the node that served the page. */
function bootstrapForm(): HTMLElement {
  const input = h('textarea', { id: 'bootstrap', rows: 3, cols: 60 }, savedBootstrap())
  return h(
    'form',
    {
      class: 'bootstrap',
      onsubmit: (e: Event) => {
        e.preventDefault()
        saveBootstrap(input.value)
        location.reload()
      },
    },
    h('h2', null, 'Bootstrap nodes'),
    h('label', { for: 'bootstrap' }, 'Node addresses to start from (one per line), kept in this browser'),
    input,
    h('button', { type: 'submit' }, 'Save'),
  )
}
