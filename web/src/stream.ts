import type { BlockView, Reading, TxView } from './api.ts'
import { currentNode, nodeFailed, onNodeChange } from './nodes.ts'

export interface StatusEvent {
  type: 'status'
  kind: 'device' | 'gateway' | 'node'
  id: string
  state?: 'online' | 'offline'
}

export interface ConfirmationEvent {
  type: 'confirmation'
  height: number
  block: string
  time: number
  batches: { tx: string; records: number }[]
}

export interface StreamHandlers {
  reading?: (r: Reading) => void
  block?: (b: BlockView) => void
  confirmation?: (c: ConfirmationEvent) => void
  status?: (s: StatusEvent) => void
  /** A block sealed a ledger transaction of a subscribed account (`transactions` channel; live only). */
  transaction?: (t: TxView) => void
  /** A block sealed a result of a subscribed contract; one call per event it emitted (`contracts` channel). */
  contractEvent?: (e: ContractEvent) => void
  /** The node accepted the subscription: events that happen from here on reach this handler set. */
  subscribed?: () => void
  /** Replay done (or, without a cursor, the stream is up): events from here on are live. */
  live?: () => void
  /** true while connected, false while the browser waits to reconnect. */
  connected?: (up: boolean) => void
}

/** One item of GET /v1/contracts/:id/events, as the `contract-event` stream event carries it. */
export interface ContractEvent {
  contract: string
  height: number
  result: string
  index: number
  name: string
  data: unknown
}

export interface Subscription {
  channels: string[]
  device?: string[]
  /** `transactions` channel: account public keys (hex). */
  account?: string[]
  /** `contracts` channel: contract ids (hex). */
  contract?: string[]
}

const EVENT_TYPES = [
  'subscribed',
  'reading',
  'block',
  'confirmation',
  'transaction',
  'status',
  'live',
  'lagged',
  'closed',
  'contract-event',
] as const

/**
 * One SSE subscription (docs/streaming.md), closed when `signal` aborts. EventSource resends the last event id as
 * Last-Event-ID on its own reconnects, so a dropped connection or a `lagged` cut resumes with no gap. If the node
 * refuses the stream (it closes the EventSource for good), a new one starts after a pause from the last cursor.
 */
export function subscribe(sub: Subscription, on: StreamHandlers, signal: AbortSignal): void {
  let cursor: string | undefined
  let es: EventSource | undefined
  let retry: ReturnType<typeof setTimeout> | undefined

  const open = () => {
    const q = new URLSearchParams({ channels: sub.channels.join(',') })
    if (sub.device?.length) q.set('device', sub.device.join(','))
    if (sub.account?.length) q.set('account', sub.account.join(','))
    if (sub.contract?.length) q.set('contract', sub.contract.join(','))
    if (cursor) q.set('cursor', cursor)
    const node = currentNode()
    es = new EventSource(`${node}/v1/stream/sse?${q}`)
    let failures = 0
    es.onopen = () => {
      failures = 0
      on.connected?.(true)
    }
    es.onerror = () => {
      on.connected?.(false)
      if (signal.aborted) return
      // EventSource retries a dropped node by itself; one that stays unreachable is left for the next listed node,
      // where the stream resumes from the last cursor.
      if (++failures >= 3 && currentNode() === node) nodeFailed(node)
      if (es?.readyState === EventSource.CLOSED || currentNode() !== node) reopen()
    }
    for (const type of EVENT_TYPES)
      es.addEventListener(type, (e) => {
        const m = e as MessageEvent<string>
        if (m.lastEventId) cursor = m.lastEventId
        const ev = JSON.parse(m.data)
        if (type === 'reading') on.reading?.(ev.reading)
        else if (type === 'block') on.block?.(ev.block)
        else if (type === 'confirmation') on.confirmation?.(ev)
        else if (type === 'status') on.status?.(ev)
        else if (type === 'transaction') on.transaction?.(ev.transaction)
        else if (type === 'subscribed') on.subscribed?.()
        else if (type === 'live') on.live?.()
        else if (type === 'contract-event') on.contractEvent?.(ev.event)
      })
  }
  const reopen = () => {
    es?.close()
    clearTimeout(retry)
    retry = setTimeout(open, 1000)
  }
  open()
  const off = onNodeChange(reopen)
  signal.addEventListener('abort', () => {
    off()
    clearTimeout(retry)
    es?.close()
  })
}
