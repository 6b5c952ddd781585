/**
 * The byte layout of `/stele/<chainId>/blocks/1.0.0` (docs/network.md §Block sync). Every frame on the stream is
 * an unsigned-varint length and that many bytes (libp2p's lpStream):
 *
 *   request   frame: u8 version (1) | u64 from height | u16 count (1..MAX_SYNC_BLOCKS)
 *   response  frame: u8 status (0 ok, 1 refused) | str8 reason (empty when ok)
 *             then, when ok, one frame per block (its stored bytes), heights from, from+1, ...
 *             then one empty frame: the end. Fewer blocks than asked means the server holds no more.
 *
 * Integers are big-endian as everywhere in Stele (core/bytes.ts). A block is never empty, so the empty frame
 * cannot be mistaken for one.
 */
import { ByteReader, ByteWriter } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'

export const SYNC_VERSION = 1
/** Blocks in one request: enough to amortise a round trip, few enough that a response is bounded. */
export const MAX_SYNC_BLOCKS = 256
/** Largest frame either side accepts: a block, with room for the largest the producer seals. */
export const MAX_SYNC_FRAME = 4 << 20
/** Bytes a side buffers ahead of its reader: a few blocks in flight, then the stream is reset. */
export const MAX_SYNC_BUFFER = 4 * MAX_SYNC_FRAME

export interface SyncRequest {
  from: number
  count: number
}

export type SyncStatus = { ok: true } | { ok: false; reason: string }

export function encodeSyncRequest(r: SyncRequest): Uint8Array {
  checkRange(r)
  return new ByteWriter(11).u8(SYNC_VERSION).u64(r.from).u16(r.count).finish()
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  const rd = new ByteReader(bytes, 'sync request')
  const version = rd.u8('version')
  if (version !== SYNC_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `sync request: unsupported version ${version}`)
  const r = { from: rd.u64('from'), count: rd.u16('count') }
  rd.end()
  checkRange(r)
  return r
}

function checkRange(r: SyncRequest): void {
  if (!Number.isSafeInteger(r.from) || r.from < 1)
    throw new SteleError('STELE_BAD_REQUEST', `sync request: from ${r.from} is not a height (≥ 1)`)
  if (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_SYNC_BLOCKS)
    throw new SteleError(
      'STELE_BAD_REQUEST',
      `sync request: count ${r.count} is outside 1..${MAX_SYNC_BLOCKS}`,
    )
}

export function encodeSyncStatus(s: SyncStatus): Uint8Array {
  return new ByteWriter(64)
    .u8(s.ok ? 0 : 1)
    .str8(s.ok ? '' : s.reason.slice(0, 60), 'reason')
    .finish()
}

export function decodeSyncStatus(bytes: Uint8Array): SyncStatus {
  const rd = new ByteReader(bytes, 'sync status')
  const status = rd.u8('status')
  const reason = rd.str8('reason')
  rd.end()
  if (status === 0) return { ok: true }
  if (status === 1) return { ok: false, reason }
  throw new SteleError('STELE_BAD_ENCODING', `sync status: unknown status ${status}`)
}
