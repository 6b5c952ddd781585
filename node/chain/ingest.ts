import { EventEmitter } from 'node:events'
import { concatBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import type { SubmitResult, SubmittedBatch } from '../../core/node-api.ts'
import type { Timers } from '../../core/timers.ts'
import { decodeTx, type SignedTx } from '../../core/transaction.ts'
import { lastAcceptSeq } from '../db/accepted.ts'
import type { Db, PutSink } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { abortable } from './abortable.ts'
import { AcceptedBatch } from './accepted-batch.ts'
import { type DeviceSummary, foldDevices, loadDevices } from './devices.ts'
import type { Mempool, PendingTx } from './mempool.ts'
import { RateLimiter } from './rate-limit.ts'
import { validateRegistration } from './registration.ts'
import { Rollups } from './rollups.ts'
import { indexChunks } from './series-chunks.ts'
import { type ChainState, encodeJson, type GatewayState } from './state.ts'
import { validateBatch } from './validate-batch.ts'
import { WriteChain } from './write-chain.ts'

export interface IngestEvents {
  records: [AcceptedBatch]
  tx: [SignedTx]
}

export interface IngestInit {
  /** Write rate each gateway may sustain (records/s); bursts of twice that pass. Default 500,000. */
  recordsPerSecPerGateway?: number
}

/** What ingest works on; the node hands it these at construction. */
export interface IngestComponents {
  db: Db
  genesis: Genesis
  state: ChainState
  mempool: Mempool
  /** Device summaries, folded by ingest and read by the API. */
  devices: Map<string, DeviceSummary>
  /** The clock of the write-rate buckets. */
  timers: Pick<Timers, 'now'>
}

/** Calls whose write is issued but not landed; one more waits for the oldest (backpressure, bounded memory). */
const MAX_IN_FLIGHT = 4

/** One submitBatches call after validation: its write and what becomes visible once the write lands. */
interface Prepared {
  results: SubmitResult[]
  events: AcceptedBatch[]
  pending: PendingTx[]
  gateways: Map<string, GatewayState>
  batchKeys: string[]
  /** Series chunks written, (device, key): noted for readings pages once the write landed. */
  chunkKeys: [string, string][]
  /** Whether the write holds a run of reading ids (they leave memory once it landed). */
  idRun: boolean
  failure: unknown
  /** Resolves after the write landed and the call's state was committed in memory. */
  done: Promise<void>
}

const noop = (): void => undefined

/**
 * The write path: validates submitted batches and transactions and persists each accepted call in one atomic
 * LevelDB write (mempool entry, record object, record indexes, rollups, gateway and device state), so an accepted
 * batch survives a crash before its block.
 *
 * Pipelined: validation is serialised in call order and checks each gateway's chain against the state staged by
 * earlier calls, so call n+1 is validated while call n's write is in flight. Writes are chained (issued one after
 * the other, in call order), and a call's results, events, mempool entries and gateway tips are committed only after
 * its own write landed. A failed write fails every call staged after it (STELE_STORAGE, nothing of theirs stored);
 * the next call first waits for the writes to settle and drops the staged state. Earlier calls stay accepted.
 */
export class Ingest extends EventEmitter<IngestEvents> {
  private queue: Promise<unknown> = Promise.resolve()
  private readonly writes = new WriteChain(MAX_IN_FLIGHT)
  /** Gateway states and batch tx hashes of calls validated but not yet written. */
  private readonly stagedGateways = new Map<string, GatewayState>()
  private readonly stagedBatches = new Map<string, string>()
  readonly counters = { batches: 0, records: 0, duplicates: 0, refused: new Map<string, number>() }
  /** Last acceptance number staged; read from the `a:` index on first use. */
  private acceptSeq: number | undefined
  /** Open rollup buckets, folded in the same write as each batch. */
  readonly rollups: Rollups
  readonly devices: Map<string, DeviceSummary>
  private readonly limiter: RateLimiter
  private stopped = false

  constructor(
    init: IngestInit,
    private readonly c: IngestComponents,
  ) {
    super()
    const { db, devices, timers } = c
    this.devices = devices
    const rate = init.recordsPerSecPerGateway ?? 500_000
    this.limiter = new RateLimiter({ ratePerSec: rate, burst: rate * 2 }, { now: () => timers.now() })
    this.rollups = new Rollups(db, (device, sensor) => devices.get(device)?.sensors[sensor] !== undefined)
  }

  /** Refuses new calls and resolves once every write issued so far has landed (before the database closes). */
  async stop(): Promise<void> {
    this.stopped = true
    await this.queue
    await this.writes.drain()
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  private refuse(e: unknown): never {
    const code = e instanceof SteleError ? e.code : 'STELE_INTERNAL'
    this.counters.refused.set(code, (this.counters.refused.get(code) ?? 0) + 1)
    throw e
  }

  /**
   * Validates and stores batches in order (NodeApi.submitBatches). An aborted signal refuses the call with its
   * reason as long as validation has not started; after that the call runs to its end (its batches may be
   * accepted: a resend is answered as duplicate), though the caller is answered at once.
   */
  submitBatches(
    batches: readonly SubmittedBatch[],
    opts: {
      signal?: AbortSignal | undefined
      /** The producer's block byte cap now (default MAX_BLOCK_BYTES): a batch beyond it is refused. */
      maxBlockBytes?: number | undefined
    } = {},
  ): Promise<SubmitResult[]> {
    const { signal } = opts
    return abortable(
      this.serial(() => {
        this.open(signal)
        return this.prepareBatches(batches, opts.maxBlockBytes)
      }).then((p) => this.settle(p)),
      signal,
    )
  }

  submitTx(bytes: Uint8Array): Promise<{ hash: string; status: 'accepted' | 'duplicate' }> {
    return this.serial(() => {
      this.open()
      return this.acceptTx(bytes)
    })
  }

  /** Throws when the call may not start: ingest stopped, or the caller gave up. */
  private open(signal?: AbortSignal): void {
    if (this.stopped) throw new SteleError('STELE_UNAVAILABLE', 'the node is shutting down; send again later')
    signal?.throwIfAborted()
  }

  /** Before validating: recover from a failed write, and wait for room in the pipeline. */
  private async ready(): Promise<void> {
    for (;;) {
      if (this.writes.broken) await this.recover()
      await this.writes.room()
      if (!this.writes.broken) return
    }
  }

  /** After a failed write: wait for every write to settle, then drop what was staged ahead of the disk. */
  private async recover(): Promise<void> {
    await this.writes.drain()
    this.writes.reset()
    this.stagedGateways.clear()
    this.stagedBatches.clear()
    this.acceptSeq = undefined
    this.rollups.reset()
    this.c.state.readingIds.reset()
    // Device summaries were folded ahead of the failed writes: read back what is on disk.
    await loadDevices(this.c.db, this.devices)
  }

  private async prepareBatches(
    batches: readonly SubmittedBatch[],
    maxBlockBytes?: number,
  ): Promise<Prepared> {
    await this.ready()
    const ids = this.c.state.readingIds
    await ids.load(this.c.db)
    this.rollups.trim()
    const sink = this.c.db.batch()
    let puts = 0
    const put: PutSink = {
      put(key, value) {
        puts++
        return sink.put(key, value)
      },
    }
    const p: Prepared = {
      results: [],
      events: [],
      pending: [],
      gateways: new Map(),
      batchKeys: [],
      chunkKeys: [],
      idRun: false,
      failure: undefined,
      done: Promise.resolve(),
    }
    const touchedDevices = new Set<DeviceSummary>()
    const spanBefore = this.c.state.maxChunkSpan
    let acceptSeq = this.acceptSeq ?? (await lastAcceptSeq(this.c.db))
    for (const b of batches) {
      try {
        const tx = decodeTx(b.tx)
        const gwHex = toHex(tx.signer)
        const current = this.stagedGateways.get(gwHex) ?? this.c.state.gateways.get(gwHex)
        const verdict = await validateBatch(tx, b.records, {
          chainId: this.c.genesis.chainId,
          gateway: current,
          maxBlockBytes,
          knownTxHash: async (seq) => {
            const staged = this.stagedBatches.get(K.gatewayBatch(gwHex, seq))
            if (staged !== undefined) return staged
            const v = await this.c.db.get(K.gatewayBatch(gwHex, seq))
            return v ? toHex(v) : undefined
          },
          // After the signature, before the records are decoded: refusing a flood costs less than accepting it,
          // and the count is the one the gateway signed (the record list is not signed).
          admit: (header) => {
            const wait = this.limiter.wait(gwHex, header.count)
            if (wait > 0)
              throw new SteleError(
                'STELE_RATE_LIMITED',
                `gateway ${gwHex} exceeds its record rate; retry in ${wait} ms`,
                { details: { retryAfterMs: wait } },
              )
          },
        })
        const hash = toHex(tx.hash)
        if (verdict.kind === 'duplicate') {
          this.counters.duplicates++
          p.results.push({ seq: verdict.header.seq, status: 'duplicate', txHash: hash })
          continue
        }
        const { batch } = verdict
        const gw = current!
        // Charged once the batch is valid: a refused batch costs its gateway nothing.
        this.limiter.charge(gwHex, batch.header.count)
        const loading = this.rollups.prepare(batch.records, () => this.writes.drain())
        if (loading) await loading
        const arrival = this.c.mempool.reserve()
        const batchKey = K.gatewayBatch(gwHex, batch.header.seq)
        put.put(K.pending(arrival), tx.bytes)
        put.put(K.object(toHex(batch.header.recordsRoot)), b.records)
        put.put(batchKey, tx.hash)
        acceptSeq++
        put.put(K.accepted(acceptSeq), concatBytes(tx.hash, batch.header.recordsRoot))
        const n = batch.records.length
        // Reading ids are written a run of many batches at a time (reading-ids.ts), not a key per reading.
        ids.add(acceptSeq, batch.leafBytes)
        const { records, byDevice } = batch
        indexChunks(
          this.c.state,
          put,
          tx.hash,
          batch.header.recordsRoot,
          gwHex,
          records,
          byDevice,
          p.chunkKeys,
        )
        this.rollups.fold(batch.records)
        const last = batch.records[n - 1]!
        const next: GatewayState = {
          ...gw,
          nextSeq: batch.header.seq + 1,
          prevHash: batch.headerHash,
          nextRecordSeq: last.seq + 1,
          lastTime: last.time,
          batches: gw.batches + 1,
          records: gw.records + n,
        }
        this.stagedGateways.set(gwHex, next)
        this.stagedBatches.set(batchKey, hash)
        p.gateways.set(gwHex, next)
        p.batchKeys.push(batchKey)
        for (const d of foldDevices(this.devices, records, gwHex, byDevice)) touchedDevices.add(d)
        p.pending.push({ arrival, tx, hash })
        p.events.push(new AcceptedBatch(records, byDevice, batch.leafBytes, hash, gwHex, acceptSeq))
        p.results.push({ seq: batch.header.seq, status: 'accepted', txHash: hash })
      } catch (e) {
        p.failure = e
        break
      }
    }
    this.acceptSeq = acceptSeq
    this.rollups.flush(put)
    if (p.events.length > 0) p.idRun = ids.stage(put)
    for (const [key, g] of p.gateways) put.put(K.gateway(key), encodeJson(g))
    if (this.c.state.maxChunkSpan > spanBefore) put.put(K.maxChunkSpan, encodeJson(this.c.state.maxChunkSpan))
    for (const d of touchedDevices) put.put(K.device(d.device), encodeJson(d))
    if (puts === 0) void sink.close()
    const written = this.writes.issue(puts > 0 ? () => sink.write() : undefined)
    // Registered now, so commits run in write order (write n+1 is issued only after write n landed).
    p.done = written.then(() => this.commit(p))
    return p
  }

  /** After the call's write landed: gateway tips, mempool, counters and live events, in acceptance order. */
  private commit(p: Prepared): void {
    for (const [key, g] of p.gateways) {
      this.c.state.gateways.set(key, g)
      if (this.stagedGateways.get(key) === g) this.stagedGateways.delete(key)
    }
    for (const k of p.batchKeys) this.stagedBatches.delete(k)
    if (p.idRun) this.c.state.readingIds.written()
    for (const [device, key] of p.chunkKeys) this.c.state.recentChunks.note(device, key)
    for (const t of p.pending) this.c.mempool.add(t)
    for (const accepted of p.events) {
      this.counters.batches++
      this.counters.records += accepted.records.length
      this.emit('records', accepted)
    }
  }

  private async settle(p: Prepared): Promise<SubmitResult[]> {
    try {
      await p.done
    } catch (e) {
      // Answer only once the node is back to what is on disk, so a resend is checked against that.
      await this.serial(() => this.ready()).catch(noop)
      this.refuse(e)
    }
    const { failure, results } = p
    if (failure !== undefined) {
      if (failure instanceof SteleError) {
        this.refuse(
          new SteleError(failure.code, failure.message, {
            cause: failure.cause,
            details: { ...failure.details, accepted: results.length, results },
          }),
        )
      }
      this.refuse(
        new SteleError('STELE_BAD_ENCODING', `batch ${results.length}: ${(failure as Error).message}`, {
          cause: failure,
        }),
      )
    }
    return results
  }

  private async acceptTx(bytes: Uint8Array): Promise<{ hash: string; status: 'accepted' | 'duplicate' }> {
    // Rare (registrations): let every batch write in flight land, so committed state is all there is.
    await this.ready()
    await this.writes.drain()
    if (this.writes.broken) await this.recover()
    try {
      const tx = decodeTx(bytes)
      const hash = toHex(tx.hash)
      if (tx.chainId !== this.c.genesis.chainId)
        throw new SteleError(
          'STELE_CHAIN_MISMATCH',
          `transaction is for chain ${tx.chainId}, this node runs ${this.c.genesis.chainId}`,
        )
      if (this.c.mempool.has(hash) || (await this.c.db.get(K.tx(hash)))) return { hash, status: 'duplicate' }
      const { key, next } = validateRegistration(tx, hash, this.c.genesis, this.c.state)
      const arrival = this.c.mempool.reserve()
      await this.c.db.batch([
        { type: 'put', key: K.pending(arrival), value: tx.bytes },
        { type: 'put', key: K.gateway(key), value: encodeJson(next) },
      ])
      this.c.state.gateways.set(key, next)
      this.c.mempool.add({ arrival, tx, hash })
      this.emit('tx', tx)
      return { hash, status: 'accepted' }
    } catch (e) {
      this.refuse(e)
    }
  }
}
