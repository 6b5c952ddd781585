/**
 * One group commit of the batcher (gateway/batcher.ts): which pending records go in the next batch, and turning a
 * group of them into sealed outbox entries, the delivery marks they complete and the sequence state after them.
 */
import { fromHex, toHex } from '../core/bytes.ts'
import type { Reading } from '../core/reading.ts'
import type { DeliveryMark } from './connectors/connector.ts'
import type { RecentReadings } from './dedupe.ts'
import type { OutboxEntry, SequenceState } from './outbox.ts'
import type { Sealer, SealJob } from './sealer.ts'

/** A stamped reading waiting for its batch. */
export interface Pending {
  reading: Reading
  /** Its record as a record-list entry (u16 length, record) at slab[start, end) (RecordStamper.write). */
  slab: Uint8Array
  start: number
  end: number
  seq: number
  time: number
  logical: number
  /** Set on the last reading of a source frame. */
  mark?: DeliveryMark
  /** True when the next pending reading belongs to the same frame: no batch may end here. */
  joined: boolean
}

/** How many pending records from `at` the next batch takes: up to maxRecords, ending at a frame's end. */
export function cutBatch(pending: readonly Pending[], at: number, maxRecords: number): number {
  let n = Math.min(maxRecords, pending.length - at)
  while (n > 0 && pending[at + n - 1]!.joined) n--
  if (n > 0) return n
  // One frame longer than maxRecords (a tiny maxRecords): take it whole rather than split it.
  while (at + n < pending.length && pending[at + n]!.joined) n++
  return n + 1
}

/**
 * `encodeRecordList` of the take's records, byte for byte: a u32 count, then the records' list entries, copied a
 * run at a time (consecutive records of one slab are contiguous there already).
 */
export function recordList(take: readonly Pending[]): Uint8Array {
  let size = 4
  for (const p of take) size += p.end - p.start
  const out = Buffer.allocUnsafe(size)
  out.writeUInt32BE(take.length, 0)
  let at = 4
  let i = 0
  while (i < take.length) {
    const { slab, start } = take[i]!
    let end = take[i]!.end
    for (i++; i < take.length && take[i]!.slab === slab && take[i]!.start === end; i++) end = take[i]!.end
    out.set(slab.subarray(start, end), at)
    at += end - start
  }
  return out
}

export interface SealedGroup {
  items: { entry: OutboxEntry; recent?: Uint8Array }[]
  /** The last mark per source that these batches complete. */
  marks: Map<string, DeliveryMark>
  /** The sequence state once they are written. */
  next: SequenceState
}

/** Seals each of `takes` as the next batch after `start`, each linked to the one before. */
export async function sealGroup(
  takes: readonly Pending[][],
  start: SequenceState,
  sealer: Sealer,
  dedupe: RecentReadings,
): Promise<SealedGroup> {
  const jobs: SealJob[] = []
  let seq = start.batchSeq
  for (const take of takes) {
    const first = take[0]!
    const last = take[take.length - 1]!
    jobs.push({
      seq: ++seq,
      firstRecordSeq: first.seq,
      minTime: first.time,
      maxTime: last.time,
      list: recordList(take),
    })
  }
  const sealed = await sealer.seal(start.chainId, fromHex(start.prevHash, 'prevHash', 32), jobs)
  let state = start
  const items: { entry: OutboxEntry; recent?: Uint8Array }[] = []
  const marks = new Map<string, DeliveryMark>()
  takes.forEach((take, k) => {
    const last = take[take.length - 1]!
    const job = jobs[k]!
    state = {
      chainId: state.chainId,
      batchSeq: job.seq,
      recordSeq: last.seq,
      prevHash: toHex(sealed[k]!.headerHash),
      hlc: { time: last.time, logical: last.logical },
    }
    const recent = dedupe.encode(take.filter((p) => p.mark === undefined && !p.joined).map((p) => p.reading))
    items.push({
      entry: { seq: job.seq, tx: sealed[k]!.tx, records: job.list },
      ...(recent ? { recent } : {}),
    })
    for (const p of take) if (p.mark) marks.set(p.mark.source, p.mark)
  })
  return { items, marks, next: state }
}
