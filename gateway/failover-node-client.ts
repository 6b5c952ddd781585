/**
 * A gateway's client of several nodes of one chain: each call goes to the node that answered last and moves on to
 * the next when that one cannot be reached. `createChainNodeClient` takes its nodes from the chain (issue 17,
 * discovery): `stele gateway --node URL` is the bootstrap, a NodeList refreshes from GET /v1/nodes (every 30 s and
 * after a failure), adds the nodes node-register published HTTP endpoints for and drops those the chain no longer
 * lists. Resubmission to another node stays exactly-once: a batch is signed once with its sequence number, and a
 * node that already holds it (accepted, gossiped to it, or in a block it applied) answers duplicate; a node that lags
 * the gateway's chain answers STELE_BATCH_GAP and the submitter resends from its outbox as it does with one node.
 */

import { SteleError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { GatewayTip, NodeApi, NodeInfo, SubmitResult, SubmittedBatch } from '../core/node-api.ts'
import { NodeList } from '../core/node-list.ts'
import { backgroundTimers, type Timers } from '../core/timers.ts'
import { createHttpNodeClient } from './http-node-client.ts'

/** Answers that say "this node, not this request": the next node may serve the call. */
const NODE_DOWN = new Set(['STELE_UNAVAILABLE', 'STELE_REQUEST_TIMEOUT', 'STELE_INTERNAL', 'STELE_STORAGE'])

/** Where calls may go, the one in use first; told which one failed and which one answered. */
interface Ring<K> {
  order(): readonly K[]
  api(k: K): NodeApi
  failed(k: K): void
  answered(k: K): void
}

/** NodeApi over a ring: each call tries the nodes in order until one answers or the error is the request's own. */
function failoverApi<K>(ring: Ring<K>): NodeApi {
  async function call<T>(fn: (n: NodeApi) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    let last: unknown
    for (const k of ring.order()) {
      try {
        const r = await fn(ring.api(k))
        ring.answered(k)
        return r
      } catch (err) {
        if (signal?.aborted) throw err
        if (err instanceof SteleError && !NODE_DOWN.has(err.code)) throw err
        ring.failed(k)
        last = err
      }
    }
    throw last
  }
  return {
    info: (opts = {}): Promise<NodeInfo> => call((n) => n.info(opts), opts.signal),
    gatewayTip: (gw, opts = {}): Promise<GatewayTip> => call((n) => n.gatewayTip(gw, opts), opts.signal),
    submitBatches: (batches: readonly SubmittedBatch[], opts = {}): Promise<SubmitResult[]> =>
      call((n) => n.submitBatches(batches, opts), opts.signal),
  }
}

export interface FailoverNodeClient extends NodeApi {
  /** Index of the node calls go to now. */
  readonly current: number
  readonly failovers: number
}

/** A fixed list of nodes, in order of preference. */
export function createFailoverNodeClient(nodes: readonly NodeApi[]): FailoverNodeClient {
  if (nodes.length === 0) throw new SteleError('STELE_CONFIG', 'a gateway needs at least one --node')
  let current = 0
  let failovers = 0
  const api = failoverApi<number>({
    order: () => nodes.map((_, k) => (current + k) % nodes.length),
    api: (i) => nodes[i]!,
    failed: () => undefined,
    answered: (i) => {
      if (i === current) return
      current = i
      failovers++
    },
  })
  return {
    ...api,
    get current() {
      return current
    },
    get failovers() {
      return failovers
    },
  }
}

export interface ChainNodeClientInit {
  /** `--node` addresses: where the list starts, in order of preference. */
  bootstrap: readonly string[]
  /** The client of one address (default: HTTP). */
  client?: (url: string) => NodeApi
  /** GET /v1/nodes goes through this fetch (default: the global one). */
  fetch?: typeof fetch
  /** Time between refreshes from the chain; default 30 s. A failure refreshes at once as well. */
  refreshMs?: number
  timers?: Timers
  logger?: Logger
}

export interface ChainNodeClient extends NodeApi {
  /** The address calls go to now. */
  readonly current: string
  /** The addresses in use, the current one first. */
  readonly addresses: string[]
  readonly failovers: number
  /** Refreshes from the chain now and every `refreshMs` until stop(). */
  start(): Promise<void>
  /** Reads the chain's node list once (a refresh already under way is shared). */
  refresh(): Promise<void>
  stop(): void
}

/** The nodes the chain lists, from a bootstrap list, refreshed from the chain (core/node-list.ts). */
export function createChainNodeClient(init: ChainNodeClientInit): ChainNodeClient {
  const list = new NodeList({ bootstrap: init.bootstrap, ...(init.fetch ? { fetch: init.fetch } : {}) })
  const makeClient = init.client ?? ((url: string) => createHttpNodeClient({ url }))
  const timers = init.timers ?? backgroundTimers
  const refreshMs = init.refreshMs ?? 30_000
  const clients = new Map<string, NodeApi>()
  const stopping = new AbortController()
  let failovers = 0
  /** The address that answered last (at first the preferred one): a change of it is a failover. */
  let last = list.current()
  let timer: unknown
  let running: Promise<void> | undefined

  const clientOf = (url: string): NodeApi => {
    let c = clients.get(url)
    if (!c) {
      c = makeClient(url)
      clients.set(url, c)
    }
    return c
  }

  function refresh(): Promise<void> {
    running ??= (async () => {
      const before = setOf(list.addresses)
      try {
        await list.refresh(stopping.signal)
      } finally {
        running = undefined
      }
      const now = list.addresses
      for (const url of clients.keys()) if (!now.includes(url)) clients.delete(url)
      if (setOf(now) !== before)
        init.logger?.info({ nodes: now, current: list.current() }, 'gateway nodes from the chain')
    })()
    return running
  }

  const api = failoverApi<string>({
    order: () => list.addresses,
    api: clientOf,
    failed: (url) => {
      // Another call may have moved on already: only the node in use is passed over.
      if (list.current() === url) {
        list.fail()
        init.logger?.warn({ failed: url, next: list.current() }, 'node unreachable: trying the next one')
      }
      if (!stopping.signal.aborted) void refresh().catch(() => undefined)
    },
    answered: (url) => {
      if (url !== last) failovers++
      last = url
    },
  })

  function schedule(): void {
    timer = timers.set(() => {
      void refresh()
        .catch(() => undefined)
        .finally(() => {
          if (!stopping.signal.aborted) schedule()
        })
    }, refreshMs)
  }

  return {
    ...api,
    get current() {
      return list.current()
    },
    get addresses() {
      return list.addresses
    },
    get failovers() {
      return failovers
    },
    async start() {
      await refresh().catch(() => undefined)
      if (!stopping.signal.aborted) schedule()
    },
    refresh,
    stop() {
      stopping.abort()
      timers.clear(timer)
    },
  }
}

const setOf = (urls: readonly string[]): string => [...urls].sort().join(' ')
