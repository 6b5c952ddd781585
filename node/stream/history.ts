import { decodeBatchHeader } from '../../core/batch.ts'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { leafHash } from '../../core/merkle.ts'
import { decodeRecord, decodeRecordList, peekRecordCount } from '../../core/record.ts'
import { decodeTx, TX_TYPES } from '../../core/transaction.ts'
import type { Mempool } from '../chain/mempool.ts'
import { blockView, type ChainQuery } from '../chain/query.ts'
import type { Db } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'
import { type Cursor, encodeCursor, readingAfter } from './cursor.ts'
import {
  blockEvent,
  type ConfirmedBatch,
  confirmationEvent,
  type EncodedEvent,
  frame,
  readingEvent,
  splitEvents,
  type Transport,
} from './events.ts'
import { type BatchSummary, matchBatch, matchReading, type Subscription, summarize } from './filter.ts'

export interface HistorySource {
  db: Db
  query: Pick<ChainQuery, 'txHeight' | 'storedTx' | 'storedBlock'>
}

/** Summaries of record batches accepted but not yet in a block (for a hub that starts after them). */
export async function pendingSummaries(
  src: HistorySource & { mempool: Pick<Mempool, 'take'> },
): Promise<BatchSummary[]> {
  const out: BatchSummary[] = []
  for (const p of src.mempool.take(Number.MAX_SAFE_INTEGER)) {
    if (p.tx.type !== TX_TYPES.RECORD_BATCH) continue
    const list = await src.db.get(K.object(toHex(decodeBatchHeader(p.tx.payload).recordsRoot)))
    if (list) out.push(summarize(p.hash, 0, toHex(p.tx.signer), decodeRecordList(list).map(decodeRecord)))
  }
  return out
}

/** Writes one frame; resolves false once the subscriber is gone. */
export type WriteFrame = (f: Buffer, lastCursor: string) => Promise<boolean>

/** One replay: what the subscriber asked for, the range after `from` up to `to`, and where its frames go. */
export interface Replay {
  sub: Subscription
  kind: Transport
  from: Cursor
  to: Cursor
  write: WriteFrame
  maxFrameBytes: number
  /** Stops the replay with its reason (the subscriber went away). */
  signal?: AbortSignal | undefined
}

/** The `a:` value: the batch's tx hash, then its records root. */
export function decodeAccepted(v: Uint8Array): { txHash: string; recordsRoot: string } {
  return { txHash: toHex(v.subarray(0, 32)), recordsRoot: toHex(v.subarray(32, 64)) }
}

/** The last accepted batch in storage, as a cursor position (its last record), or seq 0 when there is none. */
export async function lastAccepted(db: Db): Promise<{ seq: number; index: number }> {
  const range = { gt: K.acceptedPrefix, lt: prefixEnd(K.acceptedPrefix), reverse: true, limit: 1 }
  for await (const [key, value] of db.iterator(range)) {
    const list = await db.get(K.object(decodeAccepted(value).recordsRoot))
    const count = list ? peekRecordCount(list) : 0
    return { seq: Number.parseInt(key.slice(K.acceptedPrefix.length), 16), index: Math.max(0, count - 1) }
  }
  return { seq: 0, index: 0 }
}

/**
 * Readings after `from` up to `to`, batch by batch in acceptance order, one frame per batch. Each batch's record
 * list is read once from its content-addressed object; memory holds one batch at a time. Stops with the signal's
 * reason once it aborts (the subscriber went away), even while no batch matches the subscription.
 */
export async function replayReadings(src: HistorySource, r: Replay): Promise<void> {
  const { sub, kind, from, to, write, maxFrameBytes, signal } = r
  signal?.throwIfAborted()
  if (!sub.channels.has('readings') || !readingAfter(to.seq, to.index, from)) return
  const range = { gte: K.accepted(Math.max(1, from.seq)), lte: K.accepted(to.seq) }
  for await (const [key, value] of src.db.iterator(range)) {
    signal?.throwIfAborted()
    const seq = Number.parseInt(key.slice(K.acceptedPrefix.length), 16)
    const { txHash, recordsRoot } = decodeAccepted(value)
    const list = await src.db.get(K.object(recordsRoot))
    if (!list)
      throw new SteleError(
        'STELE_STORAGE',
        `records object ${recordsRoot} of accepted batch ${seq} is missing`,
      )
    const records = decodeRecordList(list)
    const first = seq === from.seq ? from.index + 1 : 0
    const last = Math.min(records.length - 1, seq === to.seq ? to.index : records.length - 1)
    if (first > last) continue
    const height = await src.query.txHeight(txHash)
    const events: EncodedEvent[] = []
    let gateway = ''
    for (let i = first; i <= last; i++) {
      const bytes = records[i]!
      const r = decodeRecord(bytes)
      if (gateway === '') gateway = toHex(r.gateway)
      if (!matchReading(sub, r.device, r.sensor, gateway)) continue
      const cursor = `${seq}.${i}.${from.height}`
      events.push(readingEvent(cursor, toHex(leafHash(bytes)), r, gateway, txHash, i, height))
    }
    for (const part of splitEvents(events, maxFrameBytes))
      if (!(await write(frame(kind, part), part[part.length - 1]!.cursor))) return
  }
}

/** Blocks after `from.height` up to `to.height`: a block event and/or a confirmation event per block; stops on abort. */
export async function replayBlocks(src: HistorySource, r: Replay): Promise<void> {
  const { sub, kind, from, to, write, maxFrameBytes, signal } = r
  const blocks = sub.channels.has('blocks')
  const confirmations = sub.channels.has('confirmations')
  if ((!blocks && !confirmations) || to.height <= from.height) return
  for (let height = from.height + 1; height <= to.height; height++) {
    signal?.throwIfAborted()
    const stored = await src.query.storedBlock(height)
    if (!stored) throw new SteleError('STELE_STORAGE', `block ${height} is missing`)
    const view = blockView(stored)
    const cursor = encodeCursor({ seq: to.seq, index: to.index, height })
    const events: EncodedEvent[] = []
    if (blocks) events.push(blockEvent(cursor, view))
    if (confirmations) {
      const batches: ConfirmedBatch[] = []
      for (const tx of view.transactions) {
        const summary = await storedSummary(src, sub, tx)
        if (summary && matchBatch(sub, summary)) batches.push({ tx, records: summary.count })
      }
      if (batches.length > 0) events.push(confirmationEvent(cursor, height, view.hash, view.time, batches))
    }
    for (const part of splitEvents(events, maxFrameBytes))
      if (!(await write(frame(kind, part), part[part.length - 1]!.cursor))) return
  }
}

/** A stored batch's summary; its records are read only when the subscription filters by device or sensor. */
async function storedSummary(
  src: HistorySource,
  sub: Subscription,
  txHash: string,
): Promise<BatchSummary | null> {
  const stored = await src.query.storedTx(txHash)
  if (!stored) return null
  const tx = decodeTx(stored.tx)
  if (tx.type !== TX_TYPES.RECORD_BATCH) return null
  const header = decodeBatchHeader(tx.payload)
  const gateway = toHex(tx.signer)
  if (sub.devices === null && sub.sensors === null)
    return { txHash, seq: 0, count: header.count, gateway, sensors: new Map() }
  const list = await src.db.get(K.object(toHex(header.recordsRoot)))
  const records = list ? decodeRecordList(list).map(decodeRecord) : []
  return summarize(txHash, 0, gateway, records)
}
