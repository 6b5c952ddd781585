import { EventEmitter } from 'node:events'
import { type SignedBlockHeader, signBlockHeader } from '../../core/block.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import type { Genesis } from '../../core/genesis.ts'
import type { Logger } from '../../core/logger.ts'
import { leafHash, merkleRoot } from '../../core/merkle.ts'
import type { Timers } from '../../core/timers.ts'
import type { SignedTx } from '../../core/transaction.ts'
import { type ConsensusParams, DEFAULT_CONSENSUS } from '../consensus/apply-header.ts'
import { maySign } from '../consensus/snapshot.ts'
import { sealDelay, type TurnTiming } from '../consensus/turn-delay.ts'
import { encodeStoredBlock, encodeStoredTx } from '../db/codec.ts'
import type { Db, DbOp } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { LA, txAccounts } from '../ledger/account-index.ts'
import { blockState } from '../ledger/block-state.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { isLedgerType } from '../ledger/registry.ts'
import type { StagedUpdate, StateChange } from '../ledger/state-map.ts'
import { type BlockEntry, checkBlock, oldValues } from './apply-block.ts'
import { fitBlock, MAX_BLOCK_BYTES } from './block-size.ts'
import { encodeUndo, undoKey } from './block-undo.ts'
import type { ChainIndex } from './chain-index.ts'
import type { Mempool } from './mempool.ts'
import { rollbackTip } from './rollback-block.ts'
import { type ChainState, type ChainTip, encodeJson } from './state.ts'
import type { WireBlock } from './wire-block.ts'

export { BlockRefused } from './apply-block.ts'

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
  /**
   * Wire bytes per block (default and most: MAX_BLOCK_BYTES, the block-sync frame, so any block can be synced). A
   * networked node lowers it to the gossip limit with limitBlockBytes.
   */
  maxBlockBytes?: number
  /** Out-of-turn producers wait one wiggle more plus a seeded share of floor(n/2)+1 wiggles (default intervalMs/2). */
  wiggleMs?: number
  /** Header time rules (consensus/apply-header.ts). */
  consensus?: ConsensusParams
  /** Test hook: after each block it produces, also sign a second one at the same height (equivocation). */
  equivocate?: boolean
}

/** What the producer works on; the node hands it these at construction. */
export interface ProducerComponents {
  db: Db
  genesis: Genesis
  /** The producer's key: it signs every block. */
  key: KeyPair
  state: ChainState
  mempool: Mempool
  /** Heights, hashes, producers and weights of the stored chain: the consensus snapshot. */
  index: ChainIndex
  /** The interval runs on these, and block times come from their clock. */
  timers: Timers
  logger: Logger
  /** Present on a chain whose genesis has a ledger (version 2): blocks then commit to its state root. */
  ledger?: Ledger | undefined
  /** While true (the node is syncing), the producer seals nothing: its blocks would fork a chain it lags. */
  paused?: () => boolean
}

/**
 * Seals pending transactions into signed blocks, never an empty one, and applies blocks of other producers: the one
 * writer of the chain. A block, its transaction index, its undo data, the new tip and the removal of the mempool
 * entries are one atomic write whichever way the block came: a block on disk is complete or absent.
 *
 * On a chain of one producer it seals at every interval. With several it follows Clique: in turn at the parent's time
 * plus the interval, out of turn a seeded delay later (consensus/turn-delay.ts), never when it signed recently.
 */
export class BlockProducer extends EventEmitter<{
  block: [ProducedBlock]
  /** A block rolled back by a reorg; its transactions are pending again. */
  rollback: [ProducedBlock]
  /** Test hook: the second header signed at one height, never stored. */
  equivocation: [{ header: Uint8Array; signature: Uint8Array }]
}> {
  private timer: unknown
  private running: Promise<unknown> | undefined
  private stopped = true
  private readonly intervalMs: number
  private readonly maxTxs: number
  private maxBlockBytes: number
  private readonly timing: TurnTiming
  private readonly consensus: ConsensusParams
  /** Local time the tip last changed, or transactions were first seen pending on it: out-of-turn delays count from it. */
  private anchor = 0
  private anchoredTip = ''

  constructor(
    private readonly init: ProducerInit,
    private readonly c: ProducerComponents,
  ) {
    super()
    this.intervalMs = init.intervalMs ?? 1000
    this.maxTxs = init.maxTxs ?? 10_000
    this.maxBlockBytes = Math.min(init.maxBlockBytes ?? MAX_BLOCK_BYTES, MAX_BLOCK_BYTES)
    this.timing = { intervalMs: this.intervalMs, wiggleMs: init.wiggleMs ?? Math.ceil(this.intervalMs / 2) }
    this.consensus = init.consensus ?? DEFAULT_CONSENSUS
  }

  /** Whether this key is the one producer of the next block (it seals at every interval, no turns). */
  private get single(): boolean {
    const { producers } = this.c.index
    return producers.length === 1 && producers[0] === toHex(this.c.key.publicKey)
  }

  /** The wire bytes a block may take now: admission refuses a batch beyond it (validate-batch.ts). */
  get blockBytes(): number {
    return this.maxBlockBytes
  }

  /** Lowers the wire bytes a block may take (never above MAX_BLOCK_BYTES): the network's gossip limit. */
  limitBlockBytes(max: number): void {
    this.maxBlockBytes = Math.min(this.maxBlockBytes, max)
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.schedule()
  }

  private schedule(): void {
    if (this.stopped) return
    // Several producers: check the turn often, so a block follows its due time closely.
    const ms = this.single ? this.intervalMs : Math.max(10, Math.min(100, Math.floor(this.intervalMs / 5)))
    this.timer = this.c.timers.set(() => {
      this.timer = undefined
      const run = this.single || this.due() ? this.produce() : Promise.resolve(null)
      run
        .catch((err) => this.c.logger.error({ err }, 'block production failed; will retry next interval'))
        .finally(() => this.schedule())
    }, ms)
  }

  /** Whether this producer's turn for the next block has come (several producers). */
  private due(): boolean {
    if (this.c.paused?.() || this.c.mempool.size === 0) return false
    const now = this.c.timers.now()
    const tip = this.c.state.tip
    if (this.anchoredTip !== tip.hash) {
      this.anchoredTip = tip.hash
      this.anchor = now
    }
    const snap = this.c.index.snapshotAt()
    const me = toHex(this.c.key.publicKey)
    const delay = sealDelay(snap, me, this.timing)
    if (delay === undefined) return false
    if (delay === this.intervalMs) return now >= snap.time + delay
    return now >= Math.max(snap.time, this.anchor) + delay
  }

  /** Stops the interval and waits for a block being written. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) this.c.timers.clear(this.timer)
    this.timer = undefined
    await this.running
  }

  /** One chain write at a time: production, a peer's block, a rollback. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.running ?? Promise.resolve(null)
    const run = prev.then(() => this.withLedger(fn))
    this.running = run.catch(() => null)
    return run
  }

  private withLedger<T>(fn: () => Promise<T>): Promise<T> {
    const { ledger } = this.c
    if (!ledger) return fn()
    // Admissions wait while the state moves; after the write, the pending overlay starts from the new state.
    return ledger.exclusive(async () => {
      try {
        return await fn()
      } finally {
        await ledger.resetOverlay()
      }
    })
  }

  /**
   * Produces one block now if anything is pending and this key may sign the next block (with several producers: not
   * signed recently). Exposed for tests and for a final block on shutdown.
   */
  produce(): Promise<ProducedBlock | null> {
    return this.serial(() => this.build())
  }

  /** Applies a block of another producer on the tip (see applyBlockNow). */
  applyBlock(block: WireBlock): Promise<ProducedBlock> {
    return this.serial(() => this.applyNow(block))
  }

  /** Rolls back the tip block: its transactions go back to the mempool; the state is its parent's. */
  rollbackTip(): Promise<ProducedBlock> {
    return this.serial(() => this.rollbackNow())
  }

  private async build(): Promise<ProducedBlock | null> {
    const { ledger, index } = this.c
    // The producer set may change at any block (registrations): a key out of it seals nothing.
    if (!maySign(index.snapshotAt(), toHex(this.c.key.publicKey))) return null
    const sized = await fitBlock(this.c.db, this.c.mempool.take(this.maxTxs), this.maxBlockBytes)
    // A transaction no block can hold would stall every one behind it: it leaves the mempool (ingest should have
    // refused it; docs/network.md §Block size).
    const drops: DbOp[] = []
    let dropped: string[] = []
    for (const p of sized.tooLarge) {
      this.c.logger.error(
        { tx: p.hash, maxBlockBytes: this.maxBlockBytes },
        'pending transaction larger than any block; dropped',
      )
      drops.push({ type: 'del', key: K.pending(p.arrival) })
      dropped.push(p.hash)
    }
    let pending = sized.fit
    let staged: StagedUpdate | undefined
    let undoState: StateChange[] = []
    if (ledger && pending.length > 0) {
      const r = await blockState(
        pending.map((p) => p.tx),
        (k) => ledger.map.get(k),
        {
          genesis: this.c.genesis,
          producer: this.c.key.publicKey,
          height: this.c.state.tip.height + 1,
          prevHash: fromHex(this.c.state.tip.hash, 'tip', 32),
        },
      )
      // Admitted against an overlay the chain may no longer match (another transaction of the signer failed
      // first): such a transaction stays out of the block and leaves the mempool.
      for (const [i, err] of r.errors) {
        const p = pending[i]!
        this.c.logger.warn({ err, tx: p.hash }, 'ledger transaction no longer valid; dropped')
        drops.push({ type: 'del', key: K.pending(p.arrival) })
      }
      dropped = [...dropped, ...pending.filter((_, i) => !r.applied[i]).map((p) => p.hash)]
      pending = pending.filter((_, i) => r.applied[i])
      if (pending.length > 0) {
        undoState = await oldValues(ledger, r.changes)
        staged = await ledger.map.stage(r.changes)
      }
    }
    if (pending.length === 0) {
      if (drops.length > 0) await this.c.db.batch(drops)
      this.c.mempool.remove(dropped)
      return null
    }
    const tip = this.c.state.tip
    const height = tip.height + 1
    const header = signBlockHeader(
      {
        chainId: this.c.genesis.chainId,
        height,
        prevHash: fromHex(tip.hash, 'tip', 32),
        time: Math.max(this.c.timers.now(), tip.time + this.consensus.minGapMs),
        txRoot: merkleRoot(pending.map((p) => leafHash(p.tx.hash))),
        txCount: pending.length,
        producer: this.c.key.publicKey,
        ...(staged ? { stateRoot: staged.root } : {}),
      },
      this.c.key.secretKey,
    )
    const produced = await this.commit(header, pending, staged, undoState, drops, dropped)
    if (this.init.equivocate) this.equivocate(header)
    return produced
  }

  /** Test hook: a second header at the same height, one millisecond later (the network sends it with the same body). */
  private equivocate(first: SignedBlockHeader): void {
    const { header: _h, signature: _s, hash: _x, ...fields } = first
    const twin = signBlockHeader({ ...fields, time: first.time + 1 }, this.c.key.secretKey)
    this.c.logger.warn({ height: first.height }, 'test hook: signed a second block at this height')
    this.emit('equivocation', { header: twin.header, signature: twin.signature })
  }

  /** A block of another producer following the tip: checked (apply-block.ts), then written like one produced. */
  private async applyNow(block: WireBlock): Promise<ProducedBlock> {
    const { entries, staged, undoState } = await checkBlock(block, this.c, this.consensus)
    return this.commit(block.header, entries, staged, undoState, [], [])
  }

  private async commit(
    header: SignedBlockHeader,
    entries: readonly BlockEntry[],
    staged: StagedUpdate | undefined,
    undoState: StateChange[],
    ops: DbOp[],
    dropped: string[],
  ): Promise<ProducedBlock> {
    const { ledger } = this.c
    const height = header.height
    const nextTip: ChainTip = { height, hash: toHex(header.hash), time: header.time }
    if (staged) ops.push(...staged.ops)
    ops.push(
      {
        type: 'put',
        key: K.block(height),
        value: encodeStoredBlock({
          header: header.header,
          signature: header.signature,
          txHashes: entries.map((e) => e.tx.hash),
        }),
      },
      {
        type: 'put',
        key: undoKey(height),
        value: encodeUndo({ state: undoState, arrivals: entries.map((e) => e.arrival) }),
      },
      { type: 'put', key: K.tip, value: encodeJson(nextTip) },
    )
    entries.forEach((p, index) => {
      ops.push({ type: 'put', key: K.tx(p.hash), value: encodeStoredTx({ height, index, tx: p.tx.bytes }) })
      ops.push({ type: 'del', key: K.pending(p.arrival) })
      if (ledger && isLedgerType(p.tx.type))
        for (const a of txAccounts(p.tx))
          ops.push({ type: 'put', key: LA.key(a, height, index), value: p.tx.hash })
    })
    await this.c.db.batch(ops)
    this.c.state.tip = nextTip
    this.c.index.push(
      height,
      header.hash,
      toHex(header.producer),
      header.time,
      entries.map((e) => e.tx),
    )
    if (ledger && staged) ledger.map.committed(staged)
    const hashes = entries.map((p) => p.hash)
    this.c.mempool.remove([...hashes, ...dropped])
    const produced: ProducedBlock = {
      header,
      txHashes: hashes,
      txs: entries.map((p) => p.tx),
      stateHashes: staged?.hashes ?? 0,
    }
    this.emit('block', produced)
    return produced
  }

  private async rollbackNow(): Promise<ProducedBlock> {
    const rolled = await rollbackTip(this.c)
    this.emit('rollback', rolled)
    return rolled
  }
}
