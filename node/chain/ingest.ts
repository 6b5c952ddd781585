import { EventEmitter } from 'node:events'
import { concatBytes, equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import type { SubmitResult, SubmittedBatch } from '../../core/node-api.ts'
import { decodeGatewayRegistration } from '../../core/payloads.ts'
import { peekRecordCount, type Record } from '../../core/record.ts'
import { decodeTx, type SignedTx, TX_TYPES, verifyTxSignature } from '../../core/transaction.ts'
import { encodeChunk, encodeLocation } from '../storage/codec.ts'
import type { Db, DbOp } from '../storage/db.ts'
import { K, prefixEnd } from '../storage/keys.ts'
import { type DeviceSummary, foldDevices } from './devices.ts'
import type { Mempool } from './mempool.ts'
import type { RateLimiter } from './rate-limit.ts'
import { Rollups } from './rollups.ts'
import { type ChainState, encodeJson, type GatewayState, ZERO_HEX } from './state.ts'
import { validateBatch } from './validate-batch.ts'

export interface AcceptedRecord {
  id: string
  record: Record
  txHash: string
  leafIndex: number
  /** Acceptance number of its batch (the `a:` index): live streams resume from it. */
  acceptSeq: number
}

export interface IngestEvents {
  records: [AcceptedRecord[]]
  tx: [SignedTx]
}

/**
 * The write path: validates submitted batches and transactions and persists each accepted one in one atomic
 * LevelDB write (mempool entry, record object, record indexes, gateway and device state), so an accepted batch
 * survives a crash before its block. Calls are serialised: a gateway's chain is checked against committed state.
 */
export class Ingest extends EventEmitter<IngestEvents> {
  private queue: Promise<unknown> = Promise.resolve()
  readonly counters = { batches: 0, records: 0, duplicates: 0, refused: new Map<string, number>() }
  /** Last acceptance number written; read from the `a:` index on first use. */
  private acceptSeq: number | undefined
  /** Open rollup buckets, folded in the same write as each batch. */
  readonly rollups: Rollups

  constructor(
    private readonly db: Db,
    private readonly genesis: Genesis,
    private readonly state: ChainState,
    private readonly mempool: Mempool,
    readonly devices: Map<string, DeviceSummary>,
    private readonly limiter: RateLimiter,
  ) {
    super()
    this.rollups = new Rollups(db)
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

  submitBatches(batches: readonly SubmittedBatch[]): Promise<SubmitResult[]> {
    return this.serial(() => this.acceptBatches(batches))
  }

  submitTx(bytes: Uint8Array): Promise<{ hash: string; status: 'accepted' | 'duplicate' }> {
    return this.serial(() => this.acceptTx(bytes))
  }

  private async acceptBatches(batches: readonly SubmittedBatch[]): Promise<SubmitResult[]> {
    const results: SubmitResult[] = []
    const ops: DbOp[] = []
    const events: AcceptedRecord[][] = []
    // Staged gateway states: validation of batch n+1 in one call must see batch n.
    const staged = new Map<string, GatewayState>()
    const touchedDevices = new Set<DeviceSummary>()
    const spanBefore = this.state.maxChunkSpan
    let acceptSeq = this.acceptSeq ?? (await this.lastAcceptSeq())
    let failure: unknown
    for (const b of batches) {
      try {
        const tx = decodeTx(b.tx)
        const gwHex = toHex(tx.signer)
        const current = staged.get(gwHex) ?? this.state.gateways.get(gwHex)
        // Checked before the signature: refusing a flood must cost less than accepting it.
        const wait = current ? this.limiter.take(gwHex, peekRecordCount(b.records)) : 0
        if (wait > 0)
          throw new SteleError(
            'STELE_RATE_LIMITED',
            `gateway ${gwHex} exceeds its record rate; retry in ${wait} ms`,
            {
              details: { retryAfterMs: wait },
            },
          )
        const verdict = await validateBatch(tx, b.records, this.genesis.chainId, current, async (seq) => {
          const v = await this.db.get(K.gatewayBatch(gwHex, seq))
          return v ? toHex(v) : undefined
        })
        const hash = toHex(tx.hash)
        if (verdict.kind === 'duplicate') {
          this.counters.duplicates++
          results.push({ seq: verdict.header.seq, status: 'duplicate', txHash: hash })
          continue
        }
        const { batch } = verdict
        const gw = current!
        const arrival = this.mempool.reserve()
        ops.push({ type: 'put', key: K.pending(arrival), value: tx.bytes })
        ops.push({ type: 'put', key: K.object(toHex(batch.header.recordsRoot)), value: b.records })
        ops.push({ type: 'put', key: K.gatewayBatch(gwHex, batch.header.seq), value: tx.hash })
        acceptSeq++
        ops.push({
          type: 'put',
          key: K.accepted(acceptSeq),
          value: concatBytes(tx.hash, batch.header.recordsRoot),
        })
        const accepted: AcceptedRecord[] = []
        for (let i = 0; i < batch.records.length; i++) {
          const id = toHex(batch.leafHashes[i]!)
          ops.push({ type: 'put', key: K.reading(id), value: encodeLocation(tx.hash, i) })
          accepted.push({ id, record: batch.records[i]!, txHash: hash, leafIndex: i, acceptSeq })
        }
        this.indexChunks(ops, tx.hash, gwHex, batch.records, batch.recordBytes)
        const loading = this.rollups.prepare(batch.records, async () => undefined)
        if (loading) await loading
        this.rollups.fold(batch.records, ops)
        const last = batch.records[batch.records.length - 1]!
        const next: GatewayState = {
          ...gw,
          nextSeq: batch.header.seq + 1,
          prevHash: batch.headerHash,
          nextRecordSeq: last.seq + 1,
          lastTime: last.time,
          batches: gw.batches + 1,
          records: gw.records + batch.records.length,
        }
        staged.set(gwHex, next)
        for (const d of foldDevices(this.devices, batch.records, gwHex)) touchedDevices.add(d)
        this.mempool.add({ arrival, tx, hash })
        events.push(accepted)
        results.push({ seq: batch.header.seq, status: 'accepted', txHash: hash })
      } catch (e) {
        failure = e
        break
      }
    }
    for (const [key, g] of staged) ops.push({ type: 'put', key: K.gateway(key), value: encodeJson(g) })
    if (this.state.maxChunkSpan > spanBefore)
      ops.push({ type: 'put', key: K.maxChunkSpan, value: encodeJson(this.state.maxChunkSpan) })
    for (const d of touchedDevices) ops.push({ type: 'put', key: K.device(d.device), value: encodeJson(d) })
    if (ops.length > 0) {
      try {
        await this.db.batch(ops)
      } catch (e) {
        this.rollups.reset()
        throw e
      }
    }
    this.acceptSeq = acceptSeq
    for (const [key, g] of staged) this.state.gateways.set(key, g)
    for (const accepted of events) {
      this.counters.batches++
      this.counters.records += accepted.length
      this.emit('records', accepted)
    }
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

  private async lastAcceptSeq(): Promise<number> {
    const last = await this.db
      .keys({ gt: K.acceptedPrefix, lt: prefixEnd(K.acceptedPrefix), reverse: true, limit: 1 })
      .all()
    return last[0] ? Number.parseInt(last[0].slice(K.acceptedPrefix.length), 16) : 0
  }

  /** One chunk per device and one per (device, sensor) of this batch, each holding its records in seq order. */
  private indexChunks(
    ops: DbOp[],
    txHash: Uint8Array,
    gwHex: string,
    records: Record[],
    bytes: Uint8Array[],
  ): void {
    const groups = new Map<string, number[]>()
    records.forEach((r, i) => {
      for (const key of [K.byDevice(r.device), K.bySensor(r.device, r.sensor)]) {
        const g = groups.get(key)
        if (g) g.push(i)
        else groups.set(key, [i])
      }
    })
    for (const [prefix, idx] of groups) {
      const first = records[idx[0]!]!
      const span = records[idx[idx.length - 1]!]!.time - first.time
      if (span > this.state.maxChunkSpan) this.state.maxChunkSpan = span
      ops.push({
        type: 'put',
        key: prefix + K.suffix(first.time, gwHex, first.seq),
        value: encodeChunk(
          txHash,
          idx,
          idx.map((i) => bytes[i]!),
        ),
      })
    }
  }

  private async acceptTx(bytes: Uint8Array): Promise<{ hash: string; status: 'accepted' | 'duplicate' }> {
    try {
      const tx = decodeTx(bytes)
      const hash = toHex(tx.hash)
      if (tx.chainId !== this.genesis.chainId)
        throw new SteleError(
          'STELE_CHAIN_MISMATCH',
          `transaction is for chain ${tx.chainId}, this node runs ${this.genesis.chainId}`,
        )
      if (this.mempool.has(hash) || (await this.db.get(K.tx(hash)))) return { hash, status: 'duplicate' }
      if (!verifyTxSignature(tx))
        throw new SteleError('STELE_BAD_SIGNATURE', 'transaction signature does not verify')
      if (tx.type !== TX_TYPES.GATEWAY_REGISTER)
        throw new SteleError('STELE_TX_INVALID', `transaction type ${tx.type} cannot be submitted here`)
      if (!equalBytes(tx.signer, this.genesis.authority))
        throw new SteleError('STELE_NOT_AUTHORIZED', 'only the genesis authority may register gateways')
      const reg = decodeGatewayRegistration(tx.payload)
      const key = toHex(reg.gateway)
      const old = this.state.gateways.get(key)
      const next: GatewayState = old
        ? { ...old, name: reg.name, devices: reg.devices, registeredTx: hash }
        : {
            key,
            name: reg.name,
            devices: reg.devices,
            registeredTx: hash,
            nextSeq: 1,
            prevHash: ZERO_HEX,
            nextRecordSeq: 1,
            lastTime: 0,
            batches: 0,
            records: 0,
          }
      const arrival = this.mempool.reserve()
      await this.db.batch([
        { type: 'put', key: K.pending(arrival), value: tx.bytes },
        { type: 'put', key: K.gateway(key), value: encodeJson(next) },
      ])
      this.state.gateways.set(key, next)
      this.mempool.add({ arrival, tx, hash })
      this.emit('tx', tx)
      return { hash, status: 'accepted' }
    } catch (e) {
      this.refuse(e)
    }
  }
}
