import { EventEmitter } from 'node:events'
import { type SignedBlockHeader, signBlockHeader } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import type { Genesis } from '../../core/genesis.ts'
import type { Logger } from '../../core/logger.ts'
import { leafHash, merkleRoot } from '../../core/merkle.ts'
import type { Timers } from '../../core/timers.ts'
import { encodeStoredBlock, encodeStoredTx } from '../db/codec.ts'
import type { Db, DbOp } from '../db/db.ts'
import { K } from '../db/keys.ts'
import type { Mempool } from './mempool.ts'
import { type ChainState, type ChainTip, encodeJson } from './state.ts'

export interface ProducedBlock {
  header: SignedBlockHeader
  txHashes: string[]
}

export interface ProducerInit {
  /** At most one block per interval (default 1000 ms). */
  intervalMs?: number
  /** Transactions per block (default 10,000). */
  maxTxs?: number
}

/** What the producer works on; the node hands it these at construction. */
export interface ProducerComponents {
  db: Db
  genesis: Genesis
  /** The producer's key: it signs every block. */
  key: KeyPair
  state: ChainState
  mempool: Mempool
  /** The interval runs on these, and block times come from their clock. */
  timers: Timers
  logger: Logger
}

/**
 * Seals pending transactions into a signed block at most every intervalMs, never an empty one. The block, its
 * transaction index, the new tip and the removal of the mempool entries are one atomic write: a block on disk is
 * complete or absent.
 */
export class BlockProducer extends EventEmitter<{ block: [ProducedBlock] }> {
  private timer: unknown
  private running: Promise<ProducedBlock | null> | undefined
  private stopped = true
  private readonly intervalMs: number
  private readonly maxTxs: number

  constructor(
    init: ProducerInit,
    private readonly c: ProducerComponents,
  ) {
    super()
    this.intervalMs = init.intervalMs ?? 1000
    this.maxTxs = init.maxTxs ?? 10_000
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.schedule()
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = this.c.timers.set(() => {
      this.timer = undefined
      this.produce()
        .catch((err) => this.c.logger.error({ err }, 'block production failed; will retry next interval'))
        .finally(() => this.schedule())
    }, this.intervalMs)
  }

  /** Stops the interval and waits for a block being written. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) this.c.timers.clear(this.timer)
    this.timer = undefined
    await this.running
  }

  /** Produces one block now if anything is pending. Exposed for tests and for a final block on shutdown. */
  produce(): Promise<ProducedBlock | null> {
    const prev = this.running ?? Promise.resolve(null)
    const run = prev.then(() => this.produceNow())
    this.running = run.catch(() => null)
    return run
  }

  private async produceNow(): Promise<ProducedBlock | null> {
    const pending = this.c.mempool.take(this.maxTxs)
    if (pending.length === 0) return null
    const tip = this.c.state.tip
    const height = tip.height + 1
    const txHashes = pending.map((p) => p.tx.hash)
    const header = signBlockHeader(
      {
        chainId: this.c.genesis.chainId,
        height,
        prevHash: fromHex(tip.hash, 'tip', 32),
        time: Math.max(this.c.timers.now(), tip.time),
        txRoot: merkleRoot(txHashes.map(leafHash)),
        txCount: pending.length,
        producer: this.c.key.publicKey,
      },
      this.c.key.secretKey,
    )
    const nextTip: ChainTip = { height, hash: toHex(header.hash), time: header.time }
    const ops: DbOp[] = [
      {
        type: 'put',
        key: K.block(height),
        value: encodeStoredBlock({ header: header.header, signature: header.signature, txHashes }),
      },
      { type: 'put', key: K.tip, value: encodeJson(nextTip) },
    ]
    pending.forEach((p, index) => {
      ops.push({ type: 'put', key: K.tx(p.hash), value: encodeStoredTx({ height, index, tx: p.tx.bytes }) })
      ops.push({ type: 'del', key: K.pending(p.arrival) })
    })
    await this.c.db.batch(ops)
    this.c.state.tip = nextTip
    const hashes = pending.map((p) => p.hash)
    this.c.mempool.remove(hashes)
    const produced = { header, txHashes: hashes }
    this.emit('block', produced)
    return produced
  }
}
