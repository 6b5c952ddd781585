import type { StampedRecord } from '../../core/record.ts'
import type { BlockView } from '../chain/query.ts'
import { type BatchSummary, matchBatch, type Subscription } from './filter.ts'

/**
 * One event, encoded once: its type, its cursor and its JSON text. Frames for every transport are built from these
 * strings, so an event is serialised once however many subscribers receive it.
 */
export interface EncodedEvent {
  type: string
  cursor: string
  json: string
}

const q = JSON.stringify

// toISOString costs about a third of an event's encoding; readings of one batch share their second, so the text up
// to the second is kept and only the milliseconds are written.
let isoSecond = -1
let isoPrefix = ''
const YEAR_10000 = 253_402_300_800_000

function isoTime(ms: number): string {
  if (ms >= YEAR_10000) return new Date(ms).toISOString()
  const second = Math.floor(ms / 1000)
  if (second !== isoSecond) {
    isoSecond = second
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20)
  }
  const frac = ms - second * 1000
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`
}

/**
 * A reading event. The `reading` object is exactly what `GET /v1/readings/:id` returns (reading-view.ts), written by
 * hand because this runs for every accepted record while anyone listens: about three times faster than
 * JSON.stringify of the view object. A test holds the two equal.
 */
export function readingEvent(
  cursor: string,
  id: string,
  r: StampedRecord,
  gatewayHex: string,
  txHash: string,
  leafIndex: number,
  height: number | null,
): EncodedEvent {
  // Device, sensor and source need no escaping: decoding a record admits only [A-Za-z0-9._:-] ids and known sources.
  const json =
    `{"type":"reading","cursor":"${cursor}","reading":{"id":"${id}","device":"${r.device}",` +
    `"sensor":"${r.sensor}","value":${r.value},"unit":${r.unit === undefined ? 'null' : q(r.unit)},` +
    `"time":${r.time},"timeIso":"${isoTime(r.time)}","logical":${r.logical},"seq":${r.seq},` +
    `"gateway":"${gatewayHex}","deviceSeq":${r.deviceSeq ?? 'null'},"deviceTime":${r.deviceTime ?? 'null'},` +
    `"source":"${r.source}","status":"${height === null ? 'pending' : 'confirmed'}","blockHeight":${height},` +
    `"txHash":"${txHash}","leafIndex":${leafIndex}}}`
  return { type: 'reading', cursor, json }
}

/** A block as sealed: the header fields of `GET /v1/blocks/:height` without its transaction list. */
export function blockEvent(cursor: string, b: BlockView): EncodedEvent {
  const { transactions: _, ...header } = b
  return { type: 'block', cursor, json: q({ type: 'block', cursor, block: header }) }
}

export interface ConfirmedBatch {
  /** The batch transaction: readings carry it as `txHash`. */
  tx: string
  /** Records in the batch: all of them, leaf indexes 0 to records-1, are now confirmed. */
  records: number
}

/** Batches a block sealed, as (tx, record count): a few dozen bytes per thousand readings confirmed. */
export function confirmationEvent(
  cursor: string,
  height: number,
  blockHash: string,
  time: number,
  batches: readonly ConfirmedBatch[],
): EncodedEvent {
  return {
    type: 'confirmation',
    cursor,
    json: q({ type: 'confirmation', cursor, height, block: blockHash, time, batches }),
  }
}

/** The block that sealed some batches. */
export interface Sealed {
  height: number
  block: string
  time: number
}

/** The confirmation event of `sealed` for one subscription: only the batches holding readings it asked for. */
export function confirmationsFor(
  sub: Subscription,
  cursor: string,
  sealed: Sealed,
  batches: readonly BatchSummary[],
): EncodedEvent[] {
  const mine = batches.filter((b) => matchBatch(sub, b)).map((b) => ({ tx: b.txHash, records: b.count }))
  return mine.length > 0 ? [confirmationEvent(cursor, sealed.height, sealed.block, sealed.time, mine)] : []
}

/** A ledger transaction sealed in a block: the view of `GET /v1/transactions/:hash` without its proof. */
export function transactionEvent(cursor: string, transaction: object): EncodedEvent {
  return { type: 'transaction', cursor, json: q({ type: 'transaction', cursor, transaction }) }
}

/** Any other event (subscribed, live, heartbeat, status, lagged, error): a small object, encoded as is. */
export function plainEvent(type: string, cursor: string, fields: { [k: string]: unknown }): EncodedEvent {
  return { type, cursor, json: q({ type, cursor, ...fields }) }
}

export type Transport = 'ws' | 'sse'

/**
 * Cuts a run of events into parts of at most about `maxBytes` (a single larger event stays whole), so that no frame
 * is larger than a fraction of a subscriber's buffer: one big batch never cuts off a client that keeps up.
 */
export function splitEvents(events: readonly EncodedEvent[], maxBytes: number): EncodedEvent[][] {
  const parts: EncodedEvent[][] = []
  let part: EncodedEvent[] = []
  let bytes = 0
  for (const e of events) {
    // 64: the SSE id/event/data lines around each event, the larger of the two framings.
    const size = e.json.length + 64
    if (part.length > 0 && bytes + size > maxBytes) {
      parts.push(part)
      part = []
      bytes = 0
    }
    part.push(e)
    bytes += size
  }
  if (part.length > 0) parts.push(part)
  return parts
}

/**
 * The bytes of a group of events for one transport. WebSocket: one text message holding a JSON array of events.
 * SSE: one `id`/`event`/`data` block per event, so `Last-Event-ID` is always the last event's cursor.
 */
export function frame(kind: Transport, events: readonly EncodedEvent[]): Buffer {
  if (kind === 'ws') {
    let s = '['
    for (let i = 0; i < events.length; i++) s += (i === 0 ? '' : ',') + events[i]!.json
    return Buffer.from(`${s}]`)
  }
  let s = ''
  for (const e of events) s += `id: ${e.cursor}\nevent: ${e.type}\ndata: ${e.json}\n\n`
  return Buffer.from(s)
}
