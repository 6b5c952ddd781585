/**
 * What consensus needs of the node's own chain, per height, in memory: hash, producer, time, the total weight up
 * to it and the producer set after it. The Clique snapshot after any stored block (producers, recents, total weight)
 * comes from here without reading disk, so fork choice and header checks of a peer's blocks cost no LevelDB reads.
 * Loaded once at start from the headers and the authority's node-register transactions.
 */
import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import type { Genesis } from '../../core/genesis.ts'
import { genesisHash } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import { decodeTx, type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import { type ProducerRules, producersAfter } from '../consensus/producer-set.ts'
import { blockWeight, genesisSnapshot, recentsKept, type Snapshot } from '../consensus/snapshot.ts'
import { decodeStoredBlock, decodeStoredTx } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'
import { LA } from '../ledger/account-index.ts'

export interface IndexedBlock {
  hash: Uint8Array
  producer: string
  time: number
  /** Sum of block weights from block 1 to this one. */
  totalWeight: number
  /** The producer set of the next block (sorted hex): this one's, changed by its registrations. */
  next: readonly string[]
}

export class ChainIndex {
  /** blocks[h - 1] is block h. */
  private readonly blocks: IndexedBlock[] = []
  readonly genesis: Snapshot
  readonly rules: ProducerRules

  constructor(genesis: Genesis) {
    this.genesis = genesisSnapshot({
      chainId: genesis.chainId,
      producers: genesis.producers,
      hash: genesisHash(genesis),
      time: genesis.time,
    })
    this.rules = { genesis: new Set(this.genesis.producers), authority: genesis.authority }
  }

  async load(db: Db): Promise<void> {
    this.blocks.length = 0
    const registrations = await this.loadRegistrations(db)
    for await (const [, v] of db.iterator({ gt: K.blockPrefix, lt: prefixEnd(K.blockPrefix) })) {
      const stored = decodeStoredBlock(v)
      const h = decodeBlockHeader(stored.header)
      this.push(h.height, sha256(stored.header), toHex(h.producer), h.time, registrations.get(h.height))
    }
  }

  /**
   * The authority's node-register transactions by height, from its account index (node/ledger/account-index.ts):
   * only those change the producer set, so the blocks' other transactions need not be read.
   */
  private async loadRegistrations(db: Db): Promise<Map<number, SignedTx[]>> {
    const out = new Map<number, SignedTx[]>()
    const prefix = LA.prefix(toHex(this.rules.authority))
    for await (const [key, hash] of db.iterator({ gt: prefix, lt: prefixEnd(prefix) })) {
      const stored = await db.get(K.tx(toHex(hash)))
      if (!stored) continue
      const tx = decodeTx(decodeStoredTx(stored).tx)
      if (tx.type !== TX_TYPES.NODE_REGISTER) continue
      const height = Number.parseInt(key.slice(prefix.length, prefix.length + 12), 16)
      out.set(height, [...(out.get(height) ?? []), tx])
    }
    return out
  }

  get height(): number {
    return this.blocks.length
  }

  /** The producers of the next block (the tip's snapshot): finality counts a majority of these. */
  get producers(): readonly string[] {
    return this.producersAt(this.height)
  }

  /** The producer set of the block after `height` (0: block 1, the genesis producers). */
  producersAt(height: number): readonly string[] {
    return height === 0 ? this.genesis.producers : (this.at(height)?.next ?? this.genesis.producers)
  }

  /** The producer set after a block with `txs` on a parent whose set is `before` (consensus/producer-set.ts). */
  producersAfter(before: readonly string[], txs: readonly SignedTx[]): readonly string[] {
    return producersAfter(before, txs, this.rules)
  }

  at(height: number): IndexedBlock | undefined {
    return height >= 1 ? this.blocks[height - 1] : undefined
  }

  hashAt(height: number): Uint8Array | undefined {
    return height === 0 ? this.genesis.hash : this.at(height)?.hash
  }

  totalWeight(height = this.height): number {
    return height === 0 ? 0 : (this.at(height)?.totalWeight ?? 0)
  }

  /**
   * Records block `height` (the next one); its weight follows from its parent's producer set, and `txs` (its
   * node-register transactions suffice) give the set after it.
   */
  push(
    height: number,
    hash: Uint8Array,
    producer: string,
    time: number,
    txs: readonly SignedTx[] = [],
  ): void {
    if (height !== this.blocks.length + 1)
      throw new RangeError(`chain index: block ${height} after ${this.blocks.length}`)
    const producers = this.producersAt(height - 1)
    const weight = blockWeight({ producers }, height, producer)
    const next = this.producersAfter(producers, txs)
    this.blocks.push({ hash, producer, time, totalWeight: this.totalWeight() + weight, next })
  }

  /** Forgets the tip (a rollback). */
  pop(): void {
    this.blocks.pop()
  }

  /** The Clique snapshot after block `height` (0: genesis). */
  snapshotAt(height = this.height): Snapshot {
    if (height === 0) return this.genesis
    const b = this.at(height)
    if (!b) throw new RangeError(`chain index: no block ${height}`)
    const recents = new Map<number, string>()
    // The same signers applyHeader keeps, so a branch checked header by header and the stored chain agree.
    const window = recentsKept(b.next.length)
    for (let h = Math.max(1, height - window + 1); h <= height; h++) recents.set(h, this.at(h)!.producer)
    return {
      ...this.genesis,
      producers: b.next,
      height,
      hash: b.hash,
      time: b.time,
      recents,
      totalWeight: b.totalWeight,
    }
  }

  /** Producers of blocks from..to, in order (for finality). */
  producersOf(from: number, to: number): string[] {
    const out: string[] = []
    for (let h = Math.max(1, from); h <= Math.min(to, this.height); h++) out.push(this.at(h)!.producer)
    return out
  }
}
