import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { leafHash } from '../../core/merkle.ts'
import { decodeRecordList } from '../../core/record.ts'
import { decodeStoredTx, type StoredTx } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'
import type { Mempool } from './mempool.ts'
import { type IdCandidate, idNeedle, matchEntries, type ReadingIds } from './reading-ids.ts'

/** A reading found by id: its batch, leaf, and the batch's record list and transaction. */
export interface Located {
  txHash: string
  leafIndex: number
  txBytes: Uint8Array
  stored: StoredTx | undefined
  recordList: Uint8Array
  records: Uint8Array[]
}

export interface LocateComponents {
  db: Db
  mempool: Mempool
  ids: ReadingIds
}

/**
 * Finds a reading by id. Candidates (acceptance number, leaf) come from the ids held in memory, the runs of the id's
 * bucket, and the `i:` keys of folders written before runs; each names a batch through its `a:` entry, and the
 * candidate whose record hashes to the full id is the one (an 8-byte match only adds a candidate, it cannot hide one).
 */
export async function locateReading(
  c: LocateComponents,
  id: string,
  signal: AbortSignal | undefined,
): Promise<Located> {
  signal?.throwIfAborted()
  const needle = idNeedle(id)
  if (!needle) throw new SteleError('STELE_NOT_FOUND', `no reading with id ${id}`)
  const { db } = c
  await c.ids.load(db)
  const found: IdCandidate[] = []
  c.ids.candidates(needle, found)
  const runPrefix = K.readingRunPrefix(id)
  const legacyPrefix = K.readingPrefix(id)
  const [runs, legacy] = await Promise.all([
    db.values({ gt: runPrefix, lt: `${runPrefix}\uffff` }).all(),
    db.keys({ gt: legacyPrefix, lt: `${legacyPrefix}\uffff` }).all(),
  ])
  for (const v of runs) matchEntries(v, needle, found)
  for (const key of legacy) {
    if (key.length !== legacyPrefix.length + 16) continue
    found.push({
      acceptSeq: Number.parseInt(key.slice(legacyPrefix.length, legacyPrefix.length + 12), 16),
      leafIndex: Number.parseInt(key.slice(legacyPrefix.length + 12), 16),
    })
  }
  for (const { acceptSeq, leafIndex } of found) {
    signal?.throwIfAborted()
    const accepted = await db.get(K.accepted(acceptSeq))
    if (accepted?.length !== 64) continue
    const recordList = await db.get(K.object(toHex(accepted.subarray(32, 64))))
    if (!recordList) continue
    const records = decodeRecordList(recordList)
    const bytes = records[leafIndex]
    if (!bytes || toHex(leafHash(bytes)) !== id) continue
    const txHash = toHex(accepted.subarray(0, 32))
    const pending = c.mempool.get(txHash)
    const v = pending ? undefined : await db.get(K.tx(txHash))
    const stored = v ? decodeStoredTx(v) : undefined
    const txBytes = pending?.tx.bytes ?? stored?.tx
    if (!txBytes) throw new SteleError('STELE_STORAGE', `transaction ${txHash} of reading ${id} is missing`)
    return { txHash, leafIndex, txBytes, stored, recordList, records }
  }
  throw new SteleError('STELE_NOT_FOUND', `no reading with id ${id}`)
}
