/**
 * The wire bytes of the last few blocks at the head, kept so that block sync and block gossip do not rebuild them
 * from the store each time. Every peer's probe asks for this node's tip block (chain-sync.ts), and rebuilding it reads
 * every transaction and record list of the block (loadWireBlock: two reads a batch), which was the largest share of a
 * busy node's block work in the 3-node bench. An entry is served only while the chain still holds that very block at
 * its height (a rollback or a reorg replaces it), so a stale entry is never sent.
 */
import { equalBytes } from '../../core/bytes.ts'
import type { ChainIndex } from '../chain/chain-index.ts'
import { loadWireBlock } from '../chain/wire-block.ts'
import type { Db } from '../db/db.ts'

interface Entry {
  hash: Uint8Array
  bytes: Uint8Array
}

export class RecentBlocks {
  private readonly byHeight = new Map<number, Entry>()

  constructor(
    private readonly c: { db: Db; index: Pick<ChainIndex, 'hashAt'> },
    /** Entries kept: the head and a few below it (a block is at most the gossip limit, 1 MiB). */
    private readonly max = 8,
  ) {}

  /** The wire bytes of the chain's block at `height`, from memory when it is one of the last few; undefined above the head. */
  async get(height: number): Promise<Uint8Array | undefined> {
    const hash = this.c.index.hashAt(height)
    if (!hash) return loadWireBlock(this.c.db, height)
    const kept = this.byHeight.get(height)
    if (kept && equalBytes(kept.hash, hash)) return kept.bytes
    const bytes = await loadWireBlock(this.c.db, height)
    // Kept only if the chain did not move to another block at this height while it was read.
    const now = this.c.index.hashAt(height)
    if (bytes && now && equalBytes(now, hash)) this.note(height, hash, bytes)
    return bytes
  }

  private note(height: number, hash: Uint8Array, bytes: Uint8Array): void {
    this.byHeight.delete(height)
    this.byHeight.set(height, { hash, bytes })
    // Oldest insertion first: a chain keeps the highest heights, which are the ones peers ask for.
    while (this.byHeight.size > this.max) this.byHeight.delete(this.byHeight.keys().next().value as number)
  }
}
