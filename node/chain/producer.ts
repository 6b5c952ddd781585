import { EventEmitter } from 'node:events'
import { type SignedBlockHeader, signBlockHeader } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import type { Genesis } from '../../core/genesis.ts'
import { leafHash, merkleRoot } from '../../core/merkle.ts'
import { encodeStoredBlock, encodeStoredTx } from '../db/codec.ts'
import type { Db, DbOp } from '../db/db.ts'
import { K } from '../db/keys.ts'
import type { Mempool } from './mempool.ts'
import { type ChainState, type ChainTip, encodeJson } from './state.ts'

export interface ProducedBlock {
  header: SignedBlockHeader
  txHashes: string[]
}

export interface ProducerOptions {
  intervalMs: number
  maxTxs: number
  now: () => number
}

/**
 * Seals pending transactions into a signed block at most every intervalMs, never an empty one. The block, its
 * transaction index, the new tip and the removal of the mempool entries are one atomic write: a block on disk is
 * complete or absent.
 */
export class BlockProducer extends EventEmitter<{ block: [ProducedBlock]; error: [unknown] }> {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<ProducedBlock | null> | undefined
  private stopped = true

  constructor(
    private readonly db: Db,
    private readonly genesis: Genesis,
    private readonly key: KeyPair,
    private readonly state: ChainState,
    private readonly mempool: Mempool,
    private readonly opts: ProducerOptions,
  ) {
    super()
  }

  start(): void {
    this.stopped = false
    this.schedule()
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.produce()
        .catch((e) => this.emit('error', e))
        .finally(() => this.schedule())
    }, this.opts.intervalMs)
    this.timer.unref?.()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
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
    const pending = this.mempool.take(this.opts.maxTxs)
    if (pending.length === 0) return null
    const tip = this.state.tip
    const height = tip.height + 1
    const txHashes = pending.map((p) => p.tx.hash)
    const header = signBlockHeader(
      {
        chainId: this.genesis.chainId,
        height,
        prevHash: fromHex(tip.hash, 'tip', 32),
        time: Math.max(this.opts.now(), tip.time),
        txRoot: merkleRoot(txHashes.map(leafHash)),
        txCount: pending.length,
        producer: this.key.publicKey,
      },
      this.key.secretKey,
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
    await this.db.batch(ops)
    this.state.tip = nextTip
    const hashes = pending.map((p) => p.hash)
    this.mempool.remove(hashes)
    const produced = { header, txHashes: hashes }
    this.emit('block', produced)
    return produced
  }
}
