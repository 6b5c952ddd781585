/**
 * Relay data larger than one cell (docs/presence.md §2.1): split into FRAGMENT relay commands, each
 *
 *   command u8 | msgId u32 | index u16 | count u16 | piece
 *
 * every piece but the last exactly FRAGMENT_PIECE bytes, and joined at the far end of the circuit, which then
 * reads `command` with the joined data as if it had come in one cell. The cells of one circuit arrive in order
 * (the layers' counters refuse anything else), so a fragment that is not the next one expected is a sender's
 * fault: the partial message is dropped and the fragment refused. Partial messages are bounded in size, number
 * and age.
 */
import { concatBytes } from '../bytes.ts'
import { SteleError } from '../errors.ts'
import type { Timers } from '../timers.ts'
import { RELAY, RELAY_DATA_MAX } from './cell.ts'

export const FRAGMENT_HEADER = 9
export const FRAGMENT_PIECE = RELAY_DATA_MAX - FRAGMENT_HEADER
/** The largest relay data a circuit carries (a message, an event), in fragments. */
export const MESSAGE_MAX = 64 * 1024
export const MAX_FRAGMENTS = Math.ceil(MESSAGE_MAX / FRAGMENT_PIECE)

export interface Fragment {
  command: number
  msgId: number
  index: number
  count: number
  piece: Uint8Array
}

const refuse = (msg: string): SteleError => new SteleError('STELE_BAD_ENCODING', `presence fragment: ${msg}`)

/** Commands that may travel in fragments: those that carry a message, an event or a request with data. */
const carried = (command: number): boolean =>
  command !== RELAY.EXTEND && command !== RELAY.EXTENDED && command !== RELAY.FRAGMENT

/** The FRAGMENT datas of `data` (more than one cell's worth, at most MESSAGE_MAX), in order. */
export function fragment(command: number, data: Uint8Array, msgId: number): Uint8Array[] {
  if (data.length > MESSAGE_MAX)
    throw new SteleError(
      'STELE_PAYLOAD_TOO_LARGE',
      `relay data of ${data.length} bytes exceeds ${MESSAGE_MAX}`,
    )
  if (data.length <= RELAY_DATA_MAX || !carried(command))
    throw refuse(`command ${command} with ${data.length} bytes is sent whole`)
  const count = Math.ceil(data.length / FRAGMENT_PIECE)
  const out: Uint8Array[] = []
  for (let index = 0; index < count; index++) {
    const piece = data.subarray(index * FRAGMENT_PIECE, (index + 1) * FRAGMENT_PIECE)
    const f = new Uint8Array(FRAGMENT_HEADER + piece.length)
    const view = new DataView(f.buffer)
    f[0] = command
    view.setUint32(1, msgId >>> 0)
    view.setUint16(5, index)
    view.setUint16(7, count)
    f.set(piece, FRAGMENT_HEADER)
    out.push(f)
  }
  return out
}

/** Sends `data` under `command` whole when it fits one cell, else as FRAGMENTs with the id `nextId()` gives. */
export function sendWhole(
  send: (command: number, data: Uint8Array) => void,
  command: number,
  data: Uint8Array,
  nextId: () => number,
): void {
  if (data.length <= RELAY_DATA_MAX) send(command, data)
  else for (const f of fragment(command, data, nextId())) send(RELAY.FRAGMENT, f)
}

/** Refuses a short header, a count of 0, 1 or above MAX_FRAGMENTS, an index past the count and a wrong size. */
export function decodeFragment(data: Uint8Array): Fragment {
  if (data.length <= FRAGMENT_HEADER) throw refuse(`${data.length} bytes is no fragment`)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const f = {
    command: data[0]!,
    msgId: view.getUint32(1),
    index: view.getUint16(5),
    count: view.getUint16(7),
    piece: data.subarray(FRAGMENT_HEADER),
  }
  if (!carried(f.command)) throw refuse(`command ${f.command} is never fragmented`)
  if (f.count < 2 || f.count > MAX_FRAGMENTS) throw refuse(`count ${f.count} outside 2..${MAX_FRAGMENTS}`)
  if (f.index >= f.count) throw refuse(`index ${f.index} of ${f.count}`)
  if (f.index < f.count - 1 && f.piece.length !== FRAGMENT_PIECE)
    throw refuse(`fragment ${f.index} of ${f.count} holds ${f.piece.length} bytes, not ${FRAGMENT_PIECE}`)
  return f
}

export interface ReassemblerOptions {
  timers: Timers
  /** The largest joined data (default MESSAGE_MAX). */
  maxBytes?: number
  /** Partial messages held at once (default 4). */
  maxPartial?: number
  /** How long a partial message may wait for its next fragment (default 30 s). */
  timeoutMs?: number
}

interface Partial {
  command: number
  count: number
  pieces: Uint8Array[]
  timer: unknown
}

/** Joins the FRAGMENTs of one circuit direction. */
export class Reassembler {
  private readonly partial = new Map<number, Partial>()
  /** Partial messages dropped because their next fragment did not come in time. */
  expired = 0

  constructor(private readonly o: ReassemblerOptions) {}

  /** The joined command and data once `data` completes a message; undefined before. Throws on a refused fragment. */
  push(data: Uint8Array): { command: number; data: Uint8Array } | undefined {
    const f = decodeFragment(data)
    const p = this.partial.get(f.msgId)
    const fail = (msg: string): SteleError => {
      if (p) this.drop(f.msgId, p)
      return refuse(`message ${f.msgId}: ${msg}`)
    }
    if (f.index === 0) {
      if (p) throw fail('a second fragment 0 (duplicate)')
      const max = this.o.maxBytes ?? MESSAGE_MAX
      if ((f.count - 1) * FRAGMENT_PIECE + 1 > max) throw refuse(`${f.count} fragments exceed ${max} bytes`)
      if (this.partial.size >= (this.o.maxPartial ?? 4))
        throw refuse(`more than ${this.o.maxPartial ?? 4} partial messages at once`)
      const timer = this.o.timers.set(() => {
        this.expired++
        this.partial.delete(f.msgId)
      }, this.o.timeoutMs ?? 30_000)
      this.partial.set(f.msgId, { command: f.command, count: f.count, pieces: [f.piece.slice()], timer })
      return undefined
    }
    if (!p) throw refuse(`message ${f.msgId}: fragment ${f.index} without fragment 0 (out of order)`)
    const expected = p.pieces.length
    if (f.index !== expected)
      throw fail(
        `fragment ${f.index} where ${expected} was expected (${f.index < expected ? 'duplicate' : 'out of order'})`,
      )
    if (f.count !== p.count || f.command !== p.command)
      throw fail(`fragment ${f.index} names another count or command than fragment 0`)
    p.pieces.push(f.piece.slice())
    if (f.index < f.count - 1) return undefined
    this.drop(f.msgId, p)
    const joined = concatBytes(...p.pieces)
    if (joined.length > (this.o.maxBytes ?? MESSAGE_MAX))
      throw refuse(`message ${f.msgId}: ${joined.length} bytes exceed ${this.o.maxBytes ?? MESSAGE_MAX}`)
    return { command: p.command, data: joined }
  }

  /** Partial messages held now. */
  get pending(): number {
    return this.partial.size
  }

  /** Drops every partial message (the circuit closed). */
  clear(): void {
    for (const [id, p] of this.partial) this.drop(id, p)
  }

  private drop(msgId: number, p: Partial): void {
    this.o.timers.clear(p.timer)
    this.partial.delete(msgId)
  }
}
