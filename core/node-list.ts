/**
 * The nodes a client may talk to (issue 17, discovery): it starts from a bootstrap list (built in or `--node`),
 * refreshes it from the chain (`GET /v1/nodes` of every node it can reach: their union, so no node can hide
 * another), adds the HTTP endpoints node-register transactions published, and keeps only addresses whose node
 * (the `self` entry of its own answer) the chain lists: a key some other node lists (a node listing only itself is
 * not taken on its word, unless it is the only one answering). `current()` is the one in use; `fail()` moves on.
 */
import { SteleError } from './errors.ts'

export interface ChainNode {
  key: string
  peerId?: string
  roles?: string[]
  endpoints?: string[]
  self?: boolean
}

export interface NodeListInit {
  /** HTTP addresses to start from, in order of preference. */
  bootstrap: readonly string[]
  fetch?: typeof fetch
  /** How long one GET /v1/nodes may take (default 3 s). */
  timeoutMs?: number
}

const HTTP = /^https?:\/\//

export class NodeList {
  private urls: string[]
  private at = 0
  /** Chain nodes by key, as last refreshed. */
  readonly nodes = new Map<string, ChainNode>()
  /** The node key behind each address that answered. */
  private readonly keyOf = new Map<string, string>()

  constructor(private readonly init: NodeListInit) {
    if (init.bootstrap.length === 0)
      throw new SteleError('STELE_CONFIG', 'a node list needs at least one bootstrap address')
    this.urls = [...new Set(init.bootstrap.map(trim))]
  }

  /** The addresses in use, the current one first. */
  get addresses(): string[] {
    return [...this.urls.slice(this.at), ...this.urls.slice(0, this.at)]
  }

  current(): string {
    return this.urls[this.at]!
  }

  /** The address in use whose node has this key (as its own answer said), if any. */
  addressOf(key: string): string | undefined {
    return this.urls.find((u) => this.keyOf.get(u) === key)
  }

  /** The current address failed: the next one (wrapping round). */
  fail(): string {
    this.at = (this.at + 1) % this.urls.length
    return this.current()
  }

  /**
   * Reads GET /v1/nodes from every known address, merges the lists, adds the endpoints they publish, and drops the
   * addresses whose node the chain does not list. Addresses that did not answer stay (they may be down for now).
   * Resolves with the chain's nodes; keeps the current address when it is still listed.
   */
  async refresh(signal?: AbortSignal): Promise<ChainNode[]> {
    const get = this.init.fetch ?? fetch
    const ask = async (url: string): Promise<ChainNode[] | undefined> => {
      try {
        const t = AbortSignal.timeout(this.init.timeoutMs ?? 3000)
        const r = await get(`${url}/v1/nodes`, { signal: signal ? AbortSignal.any([signal, t]) : t })
        if (!r.ok) return undefined
        return ((await r.json()) as { nodes: ChainNode[] }).nodes
      } catch {
        return undefined
      }
    }
    const answered = new Map<string, ChainNode[]>()
    /** Who lists each key: a key only its own node lists is not taken on that node's word. */
    const listedBy = new Map<string, Set<string>>()
    const seen = new Map<string, ChainNode>()
    let pending = [...this.urls]
    const asked = new Set<string>()
    while (pending.length > 0) {
      const round = pending.filter((u) => !asked.has(u))
      for (const u of round) asked.add(u)
      const answers = await Promise.all(round.map(ask))
      pending = []
      round.forEach((u, i) => {
        const list = answers[i]
        if (!list) return
        answered.set(u, list)
        const self = list.find((n) => n.self)
        if (self) this.keyOf.set(u, self.key)
        for (const n of list) {
          seen.set(n.key, { ...seen.get(n.key), ...n, self: false })
          const by = listedBy.get(n.key) ?? new Set()
          by.add(self?.key ?? u)
          listedBy.set(n.key, by)
          for (const e of n.endpoints ?? []) if (HTTP.test(e) && !asked.has(trim(e))) pending.push(trim(e))
        }
      })
    }
    if (answered.size === 0) return [...this.nodes.values()]
    const lone = answered.size === 1
    this.nodes.clear()
    for (const [k, n] of seen) if (lone || [...listedBy.get(k)!].some((by) => by !== k)) this.nodes.set(k, n)
    const keep = (u: string): boolean => {
      const k = this.keyOf.get(u)
      return k === undefined ? !answered.has(u) : this.nodes.has(k)
    }
    const current = this.current()
    const next = [...asked].filter(keep)
    if (next.length > 0) {
      this.urls = next
      this.at = Math.max(0, next.indexOf(current))
    }
    return [...this.nodes.values()]
  }
}

const trim = (url: string): string => url.replace(/\/+$/, '')
