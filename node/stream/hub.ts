import { EventEmitter } from 'node:events'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Timers } from '../../core/timers.ts'
import type { AcceptedBatch } from '../chain/accepted-batch.ts'
import type { DeviceSummary } from '../chain/devices.ts'
import type { Ingest } from '../chain/ingest.ts'
import type { Mempool } from '../chain/mempool.ts'
import type { BlockProducer, ProducedBlock } from '../chain/producer.ts'
import { blockView } from '../chain/query.ts'
import type { ChainState } from '../chain/state.ts'
import type { Db } from '../db/db.ts'
import type { ContractEventView, ContractService, Evidence, ResultView } from '../executor/service.ts'
import { PendingBatches } from './confirmations.ts'
import { type Cursor, checkNotAhead, encodeCursor, maxCursor } from './cursor.ts'
import {
  blockEvent,
  confirmationsFor,
  type EncodedEvent,
  frame,
  plainEvent,
  readingEvent,
  transactionEvent,
} from './events.ts'
import {
  type Channel,
  matchAccounts,
  matchContract,
  matchReading,
  type Subscription,
  summarize,
} from './filter.ts'
import { Groups } from './groups.ts'
import { type HistorySource, lastAccepted, replayBlocks, replayReadings, type WriteFrame } from './history.ts'
import { ledgerTxs } from './ledger-txs.ts'
import type { Sink } from './sinks.ts'
import { type StatusChange, StatusMonitor, type StatusOptions, statusEvent, statusMatches } from './status.ts'
import { type Limits, Subscriber, type SubscriberHost } from './subscriber.ts'

/** What the hub listens to and reads; the node hands it these at construction. */
export interface HubComponents {
  db: Db
  /** Accepted batches ('records') and refusal counts (status events). */
  ingest: Pick<Ingest, 'on' | 'off' | 'counters'>
  /** Sealed blocks ('block'). */
  producer: Pick<BlockProducer, 'on' | 'off'>
  query: HistorySource['query']
  state: Pick<ChainState, 'tip'>
  devices: ReadonlyMap<string, DeviceSummary>
  mempool: Pick<Mempool, 'take'>
  /** Heartbeats and presence checks run on these; presence is judged by their clock. */
  timers: Timers
  /** Contract events, results and mismatches ('event', 'result', 'mismatch'), for the contracts channel. */
  contracts?: Pick<ContractService, 'on' | 'off'> | undefined
}

export interface HubInit extends Partial<Limits> {
  /** Heartbeat events carry the current cursor to quiet subscribers (default 15 s; 0: none). */
  heartbeatMs?: number
  /** How often device and gateway presence is checked (default 1 s; 0: only when check() is called). */
  statusCheckMs?: number
  status?: StatusOptions
}

/**
 * The node's live stream: listens to ingest and the block producer, keeps the stream cursor, and publishes each
 * event to every matching subscriber. Subscribers with the same transport and subscription form a group; a frame
 * is built once per group and event, so a thousand dashboards watching the same thing cost one encoding.
 */
export class StreamHub extends EventEmitter<{ records: [AcceptedBatch, Cursor] }> implements SubscriberHost {
  readonly limits: Limits
  readonly status: StatusMonitor
  readonly counters = {
    subscribed: 0,
    lagged: 0,
    failed: 0,
    /** Replays whose seam overflowed and went back to storage for what arrived meanwhile. */
    seamOverflows: 0,
    /** Most bytes one subscriber held at any time (transport backlog with the frame at hand, or its seam). */
    peakBytes: 0,
  }
  private cursor: Cursor
  private readonly groups: Groups
  /** Frames stay under a quarter of a subscriber's buffer (and 256 KiB): see splitEvents. */
  private readonly maxFrameBytes: number
  private readonly subscribers = new Set<Subscriber>()
  /** Transports of ended subscriptions still holding bytes until they close (at most the grace time). */
  private readonly closing = new Set<Sink>()
  /** Accepted batches not yet in a block, for confirmation events. */
  private readonly pending = new PendingBatches()
  private readonly ticks = new Map<string, unknown>()
  private loaded: Promise<void> | undefined
  private nextId = 1

  constructor(
    private readonly opts: HubInit,
    private readonly c: HubComponents,
  ) {
    super()
    this.limits = {
      maxBufferBytes: opts.maxBufferBytes ?? 4 * 1024 * 1024,
      maxBufferEvents: opts.maxBufferEvents ?? 50_000,
      lagGraceMs: opts.lagGraceMs ?? 2000,
    }
    this.maxFrameBytes = Math.max(8 * 1024, Math.min(256 * 1024, this.limits.maxBufferBytes / 4))
    this.groups = new Groups(this.maxFrameBytes)
    this.cursor = { seq: 0, index: 0, height: c.state.tip.height }
    this.status = new StatusMonitor(
      () => c.timers.now(),
      (c) => this.publishStatus(c),
      () => c.ingest.counters.refused,
      opts.status,
    )
  }

  /** Listens to the node and starts the timers; `ready` resolves once the stream position is read from storage. */
  start(): void {
    if (this.loaded) return
    const { c, opts } = this
    this.status.seed(c.devices.values())
    c.ingest.on('records', this.onRecords)
    c.producer.on('block', this.onBlock)
    c.producer.on('rollback', this.onRollback)
    c.contracts?.on('event', this.onContractEvent)
    c.contracts?.on('result', this.onContractResult)
    c.contracts?.on('mismatch', this.onContractMismatch)
    this.repeat('heartbeat', opts.heartbeatMs ?? 15_000, () => this.heartbeat())
    this.repeat('status', opts.statusCheckMs ?? 1000, () => this.status.check())
    this.loaded = this.load()
  }

  /** Resolves once started and loaded; subscriptions wait for it. */
  get ready(): Promise<void> {
    return this.loaded ?? Promise.reject(new SteleError('STELE_UNAVAILABLE', 'the stream hub is not started'))
  }

  /** Runs `fn` every `ms` on the injected timers until stop (0: never). */
  private repeat(name: string, ms: number, fn: () => void): void {
    if (ms <= 0) return
    this.ticks.set(
      name,
      this.c.timers.set(() => {
        fn()
        if (this.ticks.has(name)) this.repeat(name, ms, fn)
      }, ms),
    )
  }

  /** The stream position from storage, and summaries of batches accepted before this hub existed. */
  private async load(): Promise<void> {
    await this.pending.load(this.c)
    const last = await lastAccepted(this.c.db)
    this.cursor = maxCursor(this.cursor, { ...last, height: this.cursor.height })
  }

  get timers(): Timers {
    return this.c.timers
  }

  live(): Cursor {
    return this.cursor
  }

  /** Starts a subscription on a connected transport; `from` null means live only. Throws on a cursor from elsewhere. */
  async subscribe(sink: Sink, sub: Subscription, from: Cursor | null): Promise<Subscriber> {
    await this.ready
    if (from) checkNotAhead(from, this.cursor)
    const start = from ?? this.cursor
    const s = new Subscriber(this.nextId++, sub, sink, this, start)
    if (s.ended) return s
    this.counters.subscribed++
    this.subscribers.add(s)
    this.groups.add(s)
    const filter = { device: sub.devices && [...sub.devices], sensor: sub.sensors && [...sub.sensors] }
    const fields = { channels: [...sub.channels], ...filter, gateway: sub.gateways && [...sub.gateways] }
    s.send(frame(sink.kind, [plainEvent('subscribed', encodeCursor(start), fields)]))
    void s.run(from !== null)
    return s
  }

  replay(s: Subscriber, from: Cursor, to: Cursor, write: WriteFrame): Promise<void> {
    const r = {
      sub: s.sub,
      kind: s.sink.kind,
      from,
      to,
      write,
      maxFrameBytes: this.maxFrameBytes,
      signal: s.signal,
    }
    return replayReadings(this.c, r).then(() => (s.ended ? undefined : replayBlocks(this.c, r)))
  }

  wentLive(s: Subscriber): void {
    if (!s.sub.channels.has('status')) return
    const events = this.status
      .snapshot()
      .filter((c) => statusMatches(s.sub, c))
      .map((c) => statusEvent(encodeCursor(this.cursor), c))
    if (events.length > 0) s.send(frame(s.sink.kind, events))
  }

  ended(s: Subscriber, why: 'closed' | 'lagged' | 'failed'): void {
    if (why === 'lagged') this.counters.lagged++
    if (why === 'failed') this.counters.failed++
    if (!s.sink.closed) {
      this.closing.add(s.sink)
      s.sink.onClose(() => this.closing.delete(s.sink))
    }
    this.subscribers.delete(s)
    this.groups.remove(s)
  }

  overflowed(): void {
    this.counters.seamOverflows++
  }

  observe(bytes: number): void {
    if (bytes > this.counters.peakBytes) this.counters.peakBytes = bytes
  }

  /** Counters, and the bytes all subscribers hold right now (transport backlogs and replay seams). */
  stats() {
    let bufferedBytes = 0
    let live = 0
    for (const s of this.subscribers) {
      bufferedBytes += s.buffered()
      if (s.live) live++
    }
    for (const sink of this.closing) bufferedBytes += sink.buffered()
    const { encodes, delivered } = this.groups
    const [subscribers, closing, cursor] = [this.subscribers.size, this.closing.size, this.cursor]
    return { ...this.counters, encodes, delivered, subscribers, live, closing, bufferedBytes, cursor }
  }

  private readonly onRecords = (batch: AcceptedBatch): void => {
    const { records, byDevice, acceptSeq: seq, txHash, gateway } = batch
    if (records.length === 0) return
    const before = this.cursor
    this.cursor = { seq, index: records.length - 1, height: before.height }
    const summary = summarize(txHash, seq, gateway, records, byDevice)
    this.emit('records', batch, this.cursor)
    const encoded: (EncodedEvent | undefined)[] = new Array(records.length)
    const h = before.height
    this.groups.publish(wants('readings'), 'reading', before, this.cursor, (sub) => {
      const out: EncodedEvent[] = []
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!
        if (!matchReading(sub, r.device, r.sensor, gateway)) continue
        let ev = encoded[i]
        if (!ev) {
          ev = readingEvent(`${seq}.${i}.${h}`, batch.id(i), r, gateway, txHash, i, null)
          encoded[i] = ev
        }
        out.push(ev)
      }
      return out
    })
    // After the readings: a device's "online" must not arrive before the reading that made it so.
    this.status.observe(gateway, records, byDevice)
    // A block that sealed this batch before its records were published: confirm it now, after them (a guard: ingest
    // adds a batch to the mempool only as it emits its records, so no block can seal it earlier today).
    const sealed = this.pending.accepted(summary)
    if (sealed) {
      const cursor = encodeCursor(this.cursor)
      this.groups.publish(wants('confirmations'), 'block', this.cursor, this.cursor, (sub) =>
        confirmationsFor(sub, cursor, sealed, [summary]),
      )
    }
  }

  private readonly onBlock = (b: ProducedBlock): void => {
    const before = this.cursor
    const { height, time } = b.header
    this.cursor = { ...before, height }
    const sealed = { height, block: toHex(b.header.hash), time }
    const batches = this.pending.sealed(b, sealed)
    let ev: EncodedEvent | undefined
    const cursor = encodeCursor(this.cursor)
    const txs = ledgerTxs(b, time)
    const either = (sub: Subscription) =>
      sub.channels.has('blocks') || sub.channels.has('confirmations') || sub.channels.has('transactions')
    this.groups.publish(either, 'block', before, this.cursor, (sub) => {
      const out = sub.channels.has('confirmations') ? confirmationsFor(sub, cursor, sealed, batches) : []
      if (sub.channels.has('transactions'))
        for (const t of txs) {
          if (!matchAccounts(sub, t.accounts)) continue
          t.ev ??= transactionEvent(cursor, t.view())
          out.push(t.ev)
        }
      if (!sub.channels.has('blocks')) return out
      ev ??= blockEvent(
        cursor,
        blockView({ header: b.header.header, signature: b.header.signature, txHashes: [] }),
      )
      return [ev, ...out]
    })
  }

  /**
   * A reorg took the tip block off: the cursor's height goes back to the new tip (cursors never name a block that
   * is gone) and its batches, pending again, wait for the block that seals them next, which confirms them anew.
   */
  private readonly onRollback = (b: ProducedBlock): void => {
    this.cursor = { ...this.cursor, height: b.header.height - 1 }
    this.pending.rolledBack(b, this.c)
  }

  /** Contract outputs are live only (no replay): GET /v1/contracts/:id/events and /results hold their history. */
  private publishContract(type: string, contract: string, fields: { [k: string]: unknown }): void {
    let ev: EncodedEvent | undefined
    this.groups.publish(
      wants('contracts'),
      'none',
      this.cursor,
      this.cursor,
      (sub) => {
        if (!matchContract(sub, contract)) return []
        ev ??= plainEvent(type, encodeCursor(this.cursor), fields)
        return [ev]
      },
      true,
    )
  }

  private readonly onContractEvent = (e: ContractEventView): void =>
    this.publishContract('contract-event', e.contract, { event: e })
  private readonly onContractResult = (r: ResultView): void =>
    this.publishContract('contract-result', r.contract, { result: r })
  private readonly onContractMismatch = (e: Evidence): void =>
    this.publishContract('contract-mismatch', e.contract, { evidence: e })

  private publishStatus(c: StatusChange): void {
    const ev = statusEvent(encodeCursor(this.cursor), c)
    this.groups.publish(
      wants('status'),
      'none',
      this.cursor,
      this.cursor,
      (sub) => (statusMatches(sub, c) ? [ev] : []),
      true,
    )
  }

  private heartbeat(): void {
    const ev = plainEvent('heartbeat', encodeCursor(this.cursor), {})
    const frames = { ws: frame('ws', [ev]), sse: frame('sse', [ev]) }
    for (const s of this.subscribers)
      if (s.live)
        s.push({
          frame: frames[s.sink.kind],
          events: 1,
          at: this.cursor,
          before: this.cursor,
          axis: 'none',
          first: true,
        })
  }

  /** Ends every subscription; each gets a last `closed` event with the cursor to resume from. */
  closeSubscribers(message: string): void {
    for (const s of [...this.subscribers]) s.closeWith('closed', message)
  }

  /** Ends every subscription (their replays stop), detaches from the node and clears the timers. */
  async stop(): Promise<void> {
    if (!this.loaded) return
    for (const t of this.ticks.values()) this.c.timers.clear(t)
    this.ticks.clear()
    this.c.ingest.off('records', this.onRecords)
    this.c.producer.off('block', this.onBlock)
    this.c.producer.off('rollback', this.onRollback)
    this.c.contracts?.off('event', this.onContractEvent)
    this.c.contracts?.off('result', this.onContractResult)
    this.c.contracts?.off('mismatch', this.onContractMismatch)
    this.closeSubscribers('the node is shutting down')
    await this.loaded.catch(() => undefined)
    this.loaded = undefined
  }
}

const wants =
  (channel: Channel) =>
  (sub: Subscription): boolean =>
    sub.channels.has(channel)
