/**
 * Per-block undo data, written in the same atomic write as its block, so a reorg rolls a block back without replaying
 * the chain from genesis: the state values the block overwrote and the mempool arrival number of each transaction.
 * The state map is history-independent (one tree per key set), so writing the old values back restores the old
 * root exactly.
 *
 *   key  u:<height, 12 hex>
 *   value u32 n | n × (32-byte state key | u8 present | var32 old value when present) | u32 m | m × u64 arrival
 */
import { ByteReader, ByteWriter } from '../../core/bytes.ts'
import type { StateChange } from '../ledger/state-map.ts'

export const undoKey = (height: number): string => `u:${height.toString(16).padStart(12, '0')}`

export interface BlockUndo {
  /** The value each written key held before the block (null: absent). */
  state: StateChange[]
  /** Arrival number of each transaction, in block order: a rolled-back block's transactions go back in that order. */
  arrivals: number[]
}

export function encodeUndo(u: BlockUndo): Uint8Array {
  const w = new ByteWriter(64 + u.state.length * 80 + u.arrivals.length * 8).u32(u.state.length)
  for (const c of u.state) {
    w.bytes(c.key).u8(c.value ? 1 : 0)
    if (c.value) w.var32(c.value)
  }
  w.u32(u.arrivals.length)
  for (const a of u.arrivals) w.u64(a)
  return w.finish()
}

export function decodeUndo(bytes: Uint8Array): BlockUndo {
  const rd = new ByteReader(bytes, 'block undo')
  const state: StateChange[] = []
  for (let i = rd.u32('count'); i > 0; i--) {
    const key = new Uint8Array(rd.bytes(32, 'key'))
    state.push({ key, value: rd.u8('present') ? new Uint8Array(rd.var32('value', 1 << 20)) : null })
  }
  const arrivals: number[] = []
  for (let i = rd.u32('count'); i > 0; i--) arrivals.push(rd.u64('arrival'))
  rd.end()
  return { state, arrivals }
}
