/**
 * The gateway: connectors hand readings to the sink (the batcher), which stamps, seals and writes them to the
 * durable outbox; the submitter drains the outbox into a node. This file only wires those parts together and
 * reports on them. The node is any NodeApi: the node object in-process, or gateway/http-node-client.ts.
 */
import { once } from 'node:events'
import { join } from 'node:path'
import { backoffDelay } from '../core/backoff.ts'
import { toHex } from '../core/bytes.ts'
import { SteleError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import type { NodeApi } from '../core/node-api.ts'
import type { Reading } from '../core/reading.ts'
import { realTimers, sleep, type Timers } from '../core/timers.ts'
import { Batcher, type BatcherStats, type BatchOptions } from './batcher.ts'
import type { Connector, ConnectorStatus, FrameSpan, ReadingSink } from './connectors/connector.ts'
import type { DeadLetter } from './dead-letters.ts'
import { RecentReadings } from './dedupe.ts'
import { createHlc } from './hlc.ts'
import { loadOrCreateGatewayKey } from './keys.ts'
import { Outbox, type OutboxDepth, type SequenceState } from './outbox.ts'
import { type SubmitOptions, Submitter, type SubmitterStats } from './submitter.ts'

export interface GatewayInit {
  /** Holds gateway.key and the outbox (LevelDB in <dataDir>/outbox). */
  dataDir: string
  node: NodeApi
  batch?: BatchOptions
  outbox?: { maxBytes?: number; maxBatches?: number; sync?: boolean }
  submit?: SubmitOptions
  logger?: Logger
  /** Wall clock for the hybrid logical clock. */
  now?: () => number
  /** For backoff jitter. */
  random?: () => number
  timers?: Timers
  /**
   * The chain to sign batches for. Needed only on a first start when the node cannot be asked (a gateway
   * remembers it afterwards); otherwise it comes from the data folder or from `node.info()`.
   */
  chainId?: string
}

export interface GatewayStatus {
  publicKey: string
  chainId: string | null
  running: boolean
  batcher: BatcherStats | null
  outbox: OutboxDepth | null
  submitter: SubmitterStats | null
  lastError: { code: string; message: string } | null
  connectors: ConnectorStatus[]
}

export interface Gateway {
  readonly publicKey: Uint8Array
  /** True when this start created the key: the operator must register it with the chain authority. */
  readonly keyCreated: boolean
  /** Where connectors push readings; push() resolves once they are in the outbox. */
  readonly sink: ReadingSink
  /** Opens the outbox, learns the chain id if needed (waiting for the node), starts the submitter and connectors. */
  start(opts?: { signal?: AbortSignal }): Promise<void>
  /** Stops connectors, seals and writes what is pending, stops submitting, closes the outbox. */
  stop(): Promise<void>
  /** Adds a connector; started at once if the gateway is running. */
  addConnector(c: Connector, opts?: { signal?: AbortSignal }): Promise<void>
  status(): GatewayStatus
  /** Dead letters of every connector that keeps them. */
  deadLetters(): (DeadLetter & { connector: string })[]
  /** Resolves once the outbox is empty (everything submitted) or rejects when `signal` aborts. */
  drained(signal?: AbortSignal): Promise<void>
}

export async function createGateway(init: GatewayInit): Promise<Gateway> {
  const logger = init.logger ?? silentLogger
  const timers = init.timers ?? realTimers
  const random = init.random ?? Math.random
  const key = await loadOrCreateGatewayKey({ dataDir: init.dataDir, logger })
  const keyHex = toHex(key.publicKey)
  if (key.created)
    logger.info(
      { gateway: keyHex, path: key.path },
      'created gateway key; register it with the chain authority',
    )

  const connectors: Connector[] = []
  let outbox: Outbox | null = null
  let batcher: Batcher | null = null
  let submitter: Submitter | null = null
  let running = false

  const sink: ReadingSink = {
    push(readings: Reading[], frames?: readonly FrameSpan[]) {
      if (!batcher) return Promise.reject(new SteleError('STELE_UNAVAILABLE', 'the gateway is not running'))
      return batcher.push(readings, frames)
    },
    mark: (source) => batcher?.mark(source),
  }

  async function resolveChainId(stored: SequenceState | undefined, signal?: AbortSignal): Promise<string> {
    if (stored && init.chainId && stored.chainId !== init.chainId)
      throw new SteleError(
        'STELE_CONFIG',
        `data folder ${init.dataDir} belongs to chain ${stored.chainId}, not ${init.chainId}; use another data folder`,
      )
    if (stored) return stored.chainId
    if (init.chainId) return init.chainId
    // First start: the node tells us which chain we sign for. Wait for it, like the broker waits for us.
    for (let attempt = 0; ; attempt++) {
      try {
        return (await init.node.info(signal ? { signal } : {})).chainId
      } catch (err) {
        if (signal?.aborted) throw signal.reason
        if (attempt === 0)
          logger.warn(
            { err: (err as Error).message },
            'waiting for the node to learn the chain id (first start)',
          )
        await sleep(backoffDelay(attempt, init.submit?.backoff ?? {}, random), timers, signal)
      }
    }
  }

  const gateway: Gateway = {
    publicKey: key.publicKey,
    keyCreated: key.created,
    sink,

    async start(opts = {}) {
      if (running) return
      const box = await Outbox.open({ path: join(init.dataDir, 'outbox'), ...init.outbox })
      try {
        const stored = await box.readState()
        const chainId = await resolveChainId(stored, opts.signal)
        const state: SequenceState = stored ?? {
          chainId,
          batchSeq: 0,
          recordSeq: 0,
          prevHash: '0'.repeat(64),
          hlc: { time: 0, logical: 0 },
        }
        if (!stored) await box.writeState(state)
        const dedupe = new RecentReadings(init.batch?.dedupeCapacity)
        dedupe.load(await box.recent())
        const hlc = createHlc({ seed: state.hlc, ...(init.now ? { now: init.now } : {}) })
        const marks = await box.marks()
        batcher = new Batcher({ ...init.batch, key, outbox: box, state, hlc, dedupe, marks, timers, logger })
        submitter = new Submitter({
          ...init.submit,
          node: init.node,
          outbox: box,
          gateway: key.publicKey,
          sequenceState: () => batcher!.sequenceState(),
          logger,
          timers,
          random,
        })
        outbox = box
      } catch (e) {
        await box.close()
        throw e
      }
      submitter.start()
      running = true
      const s = batcher.sequenceState()
      logger.info(
        {
          gateway: keyHex,
          chainId: s.chainId,
          batchSeq: s.batchSeq,
          recordSeq: s.recordSeq,
          outbox: outbox.depth().batches,
        },
        'gateway started',
      )
      for (const c of connectors) await c.start(opts)
    },

    async stop() {
      if (!running) return
      running = false
      await Promise.allSettled(connectors.map((c) => c.stop()))
      await batcher?.stop()
      await submitter?.stop()
      await outbox?.close()
      logger.info({ gateway: keyHex, ...batcher?.sequenceState() }, 'gateway stopped')
      batcher = null
    },

    async addConnector(c, opts = {}) {
      connectors.push(c)
      if (running) await c.start(opts)
    },

    status() {
      const b = batcher?.stats() ?? null
      const sub = submitter?.stats() ?? null
      const be = batcher?.lastError
      return {
        publicKey: keyHex,
        chainId: batcher?.sequenceState().chainId ?? null,
        running,
        batcher: b,
        outbox: outbox && running ? outbox.depth() : null,
        submitter: sub,
        lastError: sub?.lastError ?? (be ? { code: be.code, message: be.message } : null),
        connectors: connectors.map((c) => c.status()),
      }
    },

    deadLetters() {
      const out: (DeadLetter & { connector: string })[] = []
      for (const c of connectors) {
        const list = (c as { deadLetters?: () => DeadLetter[] }).deadLetters?.() ?? []
        for (const d of list) out.push({ ...d, connector: c.name })
      }
      return out.sort((a, b) => a.at - b.at)
    },

    async drained(signal) {
      const box = outbox
      if (!box) throw new SteleError('STELE_UNAVAILABLE', 'the gateway is not running')
      const opts = signal ? { signal } : {}
      while (box.depth().batches > 0 || (batcher?.stats().pending ?? 0) > 0) {
        await Promise.race([once(box, 'remove', opts), once(box, 'append', opts)])
      }
    },
  }
  return gateway
}
