/**
 * How many bytes a block takes on the wire (chain/wire-block.ts), and which pending transactions fit a limit. Every
 * block must fit one block-sync frame (4 MiB, node/p2p/block-sync-codec.ts), or a node that joins later could never
 * fetch it; a networked node's blocks must also fit one gossip message (1 MiB), or peers only get them by sync.
 */
import { decodeBatchHeader } from '../../core/batch.ts'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { TX_TYPES } from '../../core/transaction.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'
import type { PendingTx } from './mempool.ts'

/** The largest wire block any producer seals: the block-sync frame limit (a test holds them equal). */
export const MAX_BLOCK_BYTES = 4 << 20

/** A wire block's bytes besides its transactions: version, header (at most 512) with its length, signature, count. */
export const BLOCK_OVERHEAD = 1 + 4 + 512 + 64 + 4

/** Bytes one transaction adds to a wire block: its bytes and its records (a batch's), each with a u32 length. */
export const wireTxBytes = (tx: Uint8Array, recordBytes: number): number => 8 + tx.length + recordBytes

/**
 * Admission's check (validate-batch.ts): a transaction no block of `maxBlockBytes` could hold is refused with
 * STELE_TX_TOO_LARGE, since once accepted the producer could only drop it (fitBlock's `tooLarge`).
 */
export function checkFitsBlock(tx: Uint8Array, recordBytes: number, maxBlockBytes = MAX_BLOCK_BYTES): void {
  const bytes = wireTxBytes(tx, recordBytes)
  const maxBytes = maxBlockBytes - BLOCK_OVERHEAD
  if (bytes > maxBytes)
    throw new SteleError(
      'STELE_TX_TOO_LARGE',
      `the transaction and its records take ${bytes} bytes in a block, more than any block of this node holds ` +
        `(${maxBytes}); send fewer records per batch`,
      { details: { bytes, maxBytes } },
    )
}

const CHUNK = 256

/**
 * The longest prefix of `pending` (in mempool order) whose wire block stays within `maxBytes`, reading batch record
 * lists a chunk at a time so a large mempool is not read whole. A transaction that could not fit even an empty block
 * is returned apart (`tooLarge`, the producer drops it) rather than stopping the chain behind it.
 */
export async function fitBlock(
  db: Pick<Db, 'getMany'>,
  pending: readonly PendingTx[],
  maxBytes: number,
): Promise<{ fit: PendingTx[]; tooLarge: PendingTx[] }> {
  const budget = maxBytes - BLOCK_OVERHEAD
  const fit: PendingTx[] = []
  const tooLarge: PendingTx[] = []
  let used = 0
  for (let start = 0; start < pending.length; start += CHUNK) {
    const chunk = pending.slice(start, start + CHUNK)
    const batches = chunk.filter((p) => p.tx.type === TX_TYPES.RECORD_BATCH)
    const objects = await db.getMany(
      batches.map((p) => K.object(toHex(decodeBatchHeader(p.tx.payload).recordsRoot))),
    )
    const records = new Map(batches.map((p, i) => [p, objects[i]?.length ?? 0]))
    for (const p of chunk) {
      const size = wireTxBytes(p.tx.bytes, records.get(p) ?? 0)
      if (size > budget) {
        tooLarge.push(p)
        continue
      }
      if (used + size > budget) return { fit, tooLarge }
      used += size
      fit.push(p)
    }
  }
  return { fit, tooLarge }
}
