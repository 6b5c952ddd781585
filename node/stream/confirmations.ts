import { toHex } from '../../core/bytes.ts'
import type { Mempool } from '../chain/mempool.ts'
import type { ProducedBlock } from '../chain/producer.ts'
import type { Sealed } from './events.ts'
import type { BatchSummary } from './filter.ts'
import { type HistorySource, pendingSummaries } from './history.ts'

/** Blocks whose confirmed batches are remembered for a rollback (a deeper reorg reads them from storage). */
const REORG_DEPTH = 64

type Source = HistorySource & { mempool: Pick<Mempool, 'take'> }

/**
 * Which accepted batches wait for a block, for the confirmations channel: a batch is pending from its records'
 * event until the block that seals it, and pending again when that block is rolled back.
 */
export class PendingBatches {
  /** Accepted batches not yet in a block. */
  private readonly unconfirmed = new Map<string, BatchSummary>()
  /** Batch txs the last two blocks sealed before their records were published (their writes raced). */
  private early = new Map<string, Sealed>()
  private earlier = new Map<string, Sealed>()
  /** The batches each recent block confirmed (by block hash), put back as pending when it is rolled back. */
  private readonly sealedBatches = new Map<string, BatchSummary[]>()

  /** Summaries of batches accepted before this hub existed, read from the mempool and storage. */
  async load(src: Source): Promise<void> {
    this.addAll(await pendingSummaries(src))
  }

  /** A batch's records were published: pending, unless a block already sealed it (returned, to confirm now). */
  accepted(summary: BatchSummary): Sealed | undefined {
    const sealed = this.early.get(summary.txHash) ?? this.earlier.get(summary.txHash)
    if (!sealed) this.unconfirmed.set(summary.txHash, summary)
    return sealed
  }

  /** A block sealed: the pending batches it confirms (its other txs are remembered as sealed early). */
  sealed(b: ProducedBlock, sealed: Sealed): BatchSummary[] {
    const batches: BatchSummary[] = []
    this.earlier = this.early
    this.early = new Map()
    for (const tx of b.txHashes) {
      const s = this.unconfirmed.get(tx)
      if (s) {
        batches.push(s)
        this.unconfirmed.delete(tx)
      } else this.early.set(tx, sealed)
    }
    this.sealedBatches.set(sealed.block, batches)
    if (this.sealedBatches.size > REORG_DEPTH)
      this.sealedBatches.delete(this.sealedBatches.keys().next().value!)
    return batches
  }

  /** A block was rolled back: its batches are pending again, to be confirmed by the block that seals them next. */
  rolledBack(b: ProducedBlock, src: Source): void {
    for (const tx of b.txHashes) {
      this.early.delete(tx)
      this.earlier.delete(tx)
    }
    const block = toHex(b.header.hash)
    const kept = this.sealedBatches.get(block)
    this.sealedBatches.delete(block)
    if (kept) {
      for (const s of kept) this.unconfirmed.set(s.txHash, s)
      return
    }
    // Deeper than the blocks remembered here: the summaries are read back from storage.
    const back = b.txs.map((tx, i) => ({ arrival: 0, tx, hash: b.txHashes[i]! }))
    void pendingSummaries({ ...src, mempool: { take: () => back } })
      .then((list) => this.addAll(list))
      .catch(() => undefined)
  }

  private addAll(list: BatchSummary[]): void {
    for (const s of list) if (!this.unconfirmed.has(s.txHash)) this.unconfirmed.set(s.txHash, s)
  }
}
