/**
 * The submitter drains the outbox into a node, in batch order, several batches per call. A batch leaves the
 * outbox only once the node has accepted it (or says it already holds it), so resending is always safe: the
 * node answers a resent batch with `duplicate` and stores nothing twice.
 *
 * While the node is away it retries with exponential backoff and jitter (injected random), so a fleet of
 * gateways coming back together does not hammer a recovering node in lockstep.
 */
import { EventEmitter } from 'node:events'
import { type BackoffOptions, backoffDelay } from '../core/backoff.ts'
import { decodeBatchHeader } from '../core/batch.ts'
import { toHex } from '../core/bytes.ts'
import { isSteleError, SteleError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import type { NodeApi, SubmitResult } from '../core/node-api.ts'
import { realTimers, sleep, type Timers } from '../core/timers.ts'
import { decodeTx } from '../core/transaction.ts'
import type { Outbox, OutboxEntry, SequenceState } from './outbox.ts'

export interface SubmitOptions {
  /** Batches per call; default 64. */
  maxBatchesPerCall?: number
  /** Stored bytes per call (keeps HTTP bodies under the node's limit); default 8 MiB. */
  maxBytesPerCall?: number
  /** Abort a call that takes longer; default 30 s. */
  requestTimeoutMs?: number
  backoff?: Partial<BackoffOptions>
}

export interface SubmitterInit extends SubmitOptions {
  node: NodeApi
  outbox: Outbox
  gateway: Uint8Array
  /** The batcher's view of the chain, to tell "node ahead of us" from "node behind us". */
  sequenceState: () => SequenceState
  logger?: Logger
  timers?: Timers
  random?: () => number
}

export interface SubmitterStats {
  state: 'stopped' | 'idle' | 'submitting' | 'backoff'
  node: 'unknown' | 'up' | 'down'
  registered: boolean | null
  calls: number
  /** Batches and records the node accepted (or already held). */
  batches: number
  records: number
  duplicates: number
  retries: number
  lastError: { code: string; message: string } | null
}

/** Records in a stored batch, read from its header (count sits at a fixed place in the tx payload). */
function recordCount(e: OutboxEntry): number {
  try {
    return decodeBatchHeader(decodeTx(e.tx).payload).count
  } catch {
    return 0
  }
}

type Events = { submitted: [SubmitResult[]] }

type Next = 'now' | 'backoff'

export class Submitter extends EventEmitter<Events> {
  private readonly logger: Logger
  private readonly timers: Timers
  private readonly random: () => number
  private controller: AbortController | null = null
  private loop: Promise<void> | null = null
  private readonly s: SubmitterStats = {
    state: 'stopped',
    node: 'unknown',
    registered: null,
    calls: 0,
    batches: 0,
    records: 0,
    duplicates: 0,
    retries: 0,
    lastError: null,
  }
  /** Things worth saying once, not on every retry. */
  private readonly said = new Set<string>()

  constructor(private readonly init: SubmitterInit) {
    super()
    this.logger = init.logger ?? silentLogger
    this.timers = init.timers ?? realTimers
    this.random = init.random ?? Math.random
  }

  start(): void {
    if (this.loop) return
    this.controller = new AbortController()
    this.s.state = 'idle'
    this.loop = this.run(this.controller.signal)
  }

  async stop(): Promise<void> {
    this.controller?.abort(new SteleError('STELE_UNAVAILABLE', 'the submitter stopped'))
    await this.loop
    this.loop = null
    this.s.state = 'stopped'
  }

  stats(): SubmitterStats {
    return { ...this.s }
  }

  private async run(signal: AbortSignal): Promise<void> {
    let attempt = 0
    let reconciled = false
    while (!signal.aborted) {
      try {
        if (!reconciled) {
          await this.reconcile(signal)
          reconciled = true
        }
        this.s.state = 'idle'
        await this.init.outbox.waitForEntries(signal)
        this.s.state = 'submitting'
        await this.submitOnce(signal)
        attempt = 0
      } catch (e) {
        if (signal.aborted) break
        const next = await this.onFailure(e)
        if (next === 'now') continue
        this.s.state = 'backoff'
        this.s.retries++
        await sleep(backoffDelay(attempt++, this.init.backoff ?? {}, this.random), this.timers, signal).catch(
          () => undefined,
        )
      }
    }
  }

  /** On start: ask where the node's copy of our chain ends and drop what it already has. */
  private async reconcile(signal: AbortSignal): Promise<void> {
    const tip = await this.init.node.gatewayTip(this.init.gateway, { signal: this.callSignal(signal) })
    this.nodeUp()
    this.s.registered = tip.registered
    if (!tip.registered) this.unknownGateway()
    const nodeLast = tip.nextSeq - 1
    const ours = this.init.sequenceState().batchSeq
    if (nodeLast > ours)
      this.loud(
        `ahead:${nodeLast}`,
        { nodeLast, ours },
        'the node holds more batches from this gateway than its data folder knows: the folder was restored ' +
          'from an old copy, or another gateway uses the same key. New batches will conflict; give this ' +
          'gateway a fresh data folder and key.',
      )
    const removed = await this.init.outbox.remove(Math.min(nodeLast, ours))
    if (removed > 0) this.logger.info({ removed, nodeLast }, 'node already holds these batches; dropped')
    this.checkBehind(tip.nextSeq)
  }

  private async submitOnce(signal: AbortSignal): Promise<void> {
    const entries = await this.init.outbox.peek(
      this.init.maxBatchesPerCall ?? 64,
      this.init.maxBytesPerCall ?? 8 * 1024 * 1024,
    )
    if (entries.length === 0) return
    this.s.calls++
    const results = await this.init.node.submitBatches(
      entries.map((e) => ({ tx: e.tx, records: e.records })),
      { signal: this.callSignal(signal) },
    )
    this.nodeUp()
    this.s.registered = true
    this.said.clear() // a later refusal is news again
    await this.accepted(results, entries)
  }

  private async accepted(results: SubmitResult[], entries: OutboxEntry[]): Promise<void> {
    await this.init.outbox.remove(entries[entries.length - 1]!.seq)
    for (const r of results) if (r.status === 'duplicate') this.s.duplicates++
    for (const e of entries) this.s.records += recordCount(e)
    this.s.batches += results.length
    this.emit('submitted', results)
  }

  private async onFailure(e: unknown): Promise<Next> {
    const err = isSteleError(e)
      ? e
      : new SteleError('STELE_UNAVAILABLE', `node call failed: ${(e as Error)?.message ?? e}`, { cause: e })
    this.s.lastError = { code: err.code, message: err.message }
    const first = this.init.outbox.depth().firstSeq
    // Batches before the refused one were accepted: they can leave the outbox whatever the refusal was.
    const accepted = Number(err.details?.['accepted'] ?? 0)
    if (first !== null && accepted > 0) await this.init.outbox.remove(first + accepted - 1)

    switch (err.code) {
      case 'STELE_BATCH_GAP': {
        this.nodeUp()
        const expected = Number(err.details?.['expectedSeq'])
        if (!Number.isSafeInteger(expected)) break
        // The node already has everything before `expected`: those need not be sent again.
        const removed = await this.init.outbox.remove(expected - 1)
        if (removed > 0) {
          this.logger.info({ removed, expectedSeq: expected }, 'node already held these batches; dropped')
          return 'now'
        }
        this.checkBehind(expected)
        break
      }
      case 'STELE_GATEWAY_UNKNOWN':
        this.nodeUp()
        this.s.registered = false
        this.unknownGateway()
        break
      case 'STELE_UNAVAILABLE':
        this.nodeDown(err)
        break
      default:
        this.nodeUp()
        this.loud(`${err.code}:${first}`, { err, batch: first }, 'the node refused a batch; retrying later')
    }
    return accepted > 0 ? 'now' : 'backoff'
  }

  /** We hold batches starting after `expected`: the node lost batches we already removed. Nothing we can resend. */
  private checkBehind(expected: number): void {
    const first = this.init.outbox.depth().firstSeq
    if (first !== null && expected < first)
      this.loud(
        `behind:${expected}`,
        { expectedSeq: expected, firstHeld: first },
        'the node expects a batch this gateway no longer holds (it accepted it before and has since lost it): ' +
          'restore the node from a backup or a peer; this gateway keeps retrying',
      )
  }

  private unknownGateway(): void {
    const key = toHex(this.init.gateway)
    if (this.said.has('unknown')) return
    this.said.add('unknown')
    this.logger.warn(
      { gateway: key },
      `the node does not know this gateway: register its key with the chain authority ` +
        `(stele gateway register --key ${key}); readings stay in the outbox and are sent once it is registered`,
    )
  }

  private nodeUp(): void {
    if (this.s.node === 'down') this.logger.info('node reachable again; sending the outbox')
    this.s.node = 'up'
  }

  private nodeDown(err: SteleError): void {
    if (this.s.node !== 'down')
      this.logger.warn({ err: err.message }, 'node unreachable; keeping batches and retrying')
    this.s.node = 'down'
  }

  private loud(key: string, obj: object, msg: string): void {
    if (this.said.has(key)) return
    this.said.add(key)
    this.logger.error(obj, msg)
  }

  private callSignal(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, AbortSignal.timeout(this.init.requestTimeoutMs ?? 30_000)])
  }
}
