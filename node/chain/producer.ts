import { EventEmitter } from 'node:events'
import { type SignedBlockHeader, signBlockHeader } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import type { Genesis } from '../../core/genesis.ts'
import type { Logger } from '../../core/logger.ts'
import { leafHash, merkleRoot } from '../../core/merkle.ts'
import type { Timers } from '../../core/timers.ts'
import type { SignedTx } from '../../core/transaction.ts'
import { encodeStoredBlock, encodeStoredTx } from '../db/codec.ts'
import type { Db, DbOp } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { LA, txAccounts } from '../ledger/account-index.ts'
import { blockState } from '../ledger/block-state.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { isLedgerType } from '../ledger/registry.ts'
import type { StagedUpdate } from '../ledger/state-map.ts'
import type { Mempool } from './mempool.ts'
import { type ChainState, type ChainTip, encodeJson } from './state.ts'

export interface ProducedBlock {
  header: SignedBlockHeader
  txHashes: string[]
  /** The block's transactions, in block order. */
  txs: SignedTx[]
  /** Hashes computed to update the state root (0 on a chain without a ledger): the bench's cost per block. */
  stateHashes: number
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
  /** Present on a chain whose genesis has a ledger (version 2): blocks then commit to its state root. */
  ledger?: Ledger | undefined
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

  private produceNow(): Promise<ProducedBlock | null> {
    const { ledger } = this.c
    if (!ledger) return this.build(undefined)
    // Admissions wait while the state moves; after the block, the pending overlay starts from the new state.
    return ledger.exclusive(async () => {
      try {
        return await this.build(ledger)
      } finally {
        await ledger.resetOverlay()
      }
    })
  }

  private async build(ledger: Ledger | undefined): Promise<ProducedBlock | null> {
    let pending = this.c.mempool.take(this.maxTxs)
    if (pending.length === 0) return null
    const ops: DbOp[] = []
    let staged: StagedUpdate | undefined
    let dropped: string[] = []
    if (ledger) {
      const r = await blockState(
        pending.map((p) => p.tx),
        (k) => ledger.map.get(k),
        { genesis: this.c.genesis, producer: this.c.key.publicKey },
      )
      // Admitted against an overlay the chain may no longer match (another transaction of the signer failed
      // first): such a transaction stays out of the block and leaves the mempool.
      for (const [i, err] of r.errors) {
        const p = pending[i]!
        this.c.logger.warn({ err, tx: p.hash }, 'ledger transaction no longer valid; dropped')
        ops.push({ type: 'del', key: K.pending(p.arrival) })
      }
      dropped = pending.filter((_, i) => !r.applied[i]).map((p) => p.hash)
      pending = pending.filter((_, i) => r.applied[i])
      if (pending.length === 0) {
        await this.c.db.batch(ops)
        this.c.mempool.remove(dropped)
        return null
      }
      staged = await ledger.map.stage(r.changes)
      ops.push(...staged.ops)
    }
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
        ...(staged ? { stateRoot: staged.root } : {}),
      },
      this.c.key.secretKey,
    )
    const nextTip: ChainTip = { height, hash: toHex(header.hash), time: header.time }
    ops.push(
      {
        type: 'put',
        key: K.block(height),
        value: encodeStoredBlock({ header: header.header, signature: header.signature, txHashes }),
      },
      { type: 'put', key: K.tip, value: encodeJson(nextTip) },
    )
    pending.forEach((p, index) => {
      ops.push({ type: 'put', key: K.tx(p.hash), value: encodeStoredTx({ height, index, tx: p.tx.bytes }) })
      ops.push({ type: 'del', key: K.pending(p.arrival) })
      if (ledger && isLedgerType(p.tx.type))
        for (const a of txAccounts(p.tx))
          ops.push({ type: 'put', key: LA.key(a, height, index), value: p.tx.hash })
    })
    await this.c.db.batch(ops)
    this.c.state.tip = nextTip
    if (ledger && staged) ledger.map.committed(staged)
    const hashes = pending.map((p) => p.hash)
    this.c.mempool.remove([...hashes, ...dropped])
    const produced: ProducedBlock = {
      header,
      txHashes: hashes,
      txs: pending.map((p) => p.tx),
      stateHashes: staged?.hashes ?? 0,
    }
    this.emit('block', produced)
    return produced
  }
}
