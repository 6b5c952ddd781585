/**
 * What consensus needs of the node's own chain, per height, in memory: hash, producer, time and the total weight up
 * to it. The Clique snapshot after any stored block (recents, total weight) comes from here without reading disk, so
 * fork choice and header checks of a peer's blocks cost no LevelDB reads. Loaded once from the headers at start.
 */
import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import type { Genesis } from '../../core/genesis.ts'
import { genesisHash } from '../../core/genesis.ts'
import { sha256 } from '../../core/hash.ts'
import { blockWeight, genesisSnapshot, recentsLimit, type Snapshot } from '../consensus/snapshot.ts'
import { decodeStoredBlock } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'

export interface IndexedBlock {
  hash: Uint8Array
  producer: string
  time: number
  /** Sum of block weights from block 1 to this one. */
  totalWeight: number
}

export class ChainIndex {
  /** blocks[h - 1] is block h. */
  private readonly blocks: IndexedBlock[] = []
  readonly genesis: Snapshot

  constructor(genesis: Genesis) {
    this.genesis = genesisSnapshot({
      chainId: genesis.chainId,
      producers: genesis.producers,
      hash: genesisHash(genesis),
      time: genesis.time,
    })
  }

  async load(db: Db): Promise<void> {
    this.blocks.length = 0
    for await (const [, v] of db.iterator({ gt: K.blockPrefix, lt: prefixEnd(K.blockPrefix) })) {
      const stored = decodeStoredBlock(v)
      const h = decodeBlockHeader(stored.header)
      this.push(h.height, sha256(stored.header), toHex(h.producer), h.time)
    }
  }

  get height(): number {
    return this.blocks.length
  }

  get producers(): readonly string[] {
    return this.genesis.producers
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

  /** Records block `height` (the next one); its weight follows from the producer set. */
  push(height: number, hash: Uint8Array, producer: string, time: number): void {
    if (height !== this.blocks.length + 1)
      throw new RangeError(`chain index: block ${height} after ${this.blocks.length}`)
    const weight = blockWeight(this.genesis, height, producer)
    this.blocks.push({ hash, producer, time, totalWeight: this.totalWeight() + weight })
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
    const window = recentsLimit(this.genesis.producers.length) - 1
    for (let h = Math.max(1, height - window + 1); h <= height; h++) recents.set(h, this.at(h)!.producer)
    return { ...this.genesis, height, hash: b.hash, time: b.time, recents, totalWeight: b.totalWeight }
  }

  /** Producers of blocks from..to, in order (for finality). */
  producersOf(from: number, to: number): string[] {
    const out: string[] = []
    for (let h = Math.max(1, from); h <= Math.min(to, this.height); h++) out.push(this.at(h)!.producer)
    return out
  }
}
