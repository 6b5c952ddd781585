/**
 * Presence cells (docs/presence.md §2): every link carries 512-byte cells, whatever they hold, so a hop cannot
 * tell a registration from a keep-alive or a message by size.
 *
 *   circId u32 | command u8 | length u16 | payload[length] | zero padding to 512
 *
 * Relay payloads are onions: one XChaCha20-Poly1305 layer per hop, each 16 bytes of tag, around a relay
 * plaintext of RELAY_SIZE bytes (relayCommand u8 | length u16 | data | zero padding).
 */
import { SteleError } from '../errors.ts'

export const CELL_SIZE = 512
export const CELL_HEADER = 7
export const CELL_PAYLOAD_MAX = CELL_SIZE - CELL_HEADER
export const TAG_SIZE = 16
export const MAX_HOPS = 3
/** The relay plaintext the last hop of a three-hop circuit reads: the payload less one tag per hop. */
export const RELAY_SIZE = CELL_PAYLOAD_MAX - MAX_HOPS * TAG_SIZE
export const RELAY_HEADER = 3
export const RELAY_DATA_MAX = RELAY_SIZE - RELAY_HEADER

/** Link commands. Forward ones travel away from the client, backward ones towards it. */
export const CMD = {
  CREATE: 1,
  CREATED: 2,
  RELAY: 3,
  RELAY_BACK: 4,
  DESTROY: 5,
  DESTROY_BACK: 6,
} as const
export type Command = (typeof CMD)[keyof typeof CMD]

/** Commands inside a relay plaintext, read by the last hop (forward) or the client (backward). */
export const RELAY = {
  EXTEND: 1,
  EXTENDED: 2,
  REGISTER: 3,
  REGISTERED: 4,
  SEND: 5,
  SEND_RESULT: 6,
  DELIVER: 7,
  SUBSCRIBE: 8,
  EVENT: 9,
  UNSUBSCRIBE: 10,
  /** A piece of relay data too large for one cell (core/presence/fragment.ts). */
  FRAGMENT: 11,
} as const
export type RelayCommand = (typeof RELAY)[keyof typeof RELAY]

/** Why a circuit was torn down: the one payload byte of DESTROY and DESTROY_BACK. */
export const DESTROY_REASON = {
  REQUESTED: 0,
  PROTOCOL: 1,
  UNREACHABLE: 2,
  TIMEOUT: 3,
} as const

export interface Cell {
  circId: number
  command: number
  payload: Uint8Array
}

const bad = (msg: string): SteleError => new SteleError('STELE_BAD_ENCODING', `presence cell: ${msg}`)

export function encodeCell(circId: number, command: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(circId) || circId < 1 || circId > 0xffff_ffff)
    throw bad(`circId out of range: ${circId}`)
  if (payload.length > CELL_PAYLOAD_MAX)
    throw bad(`payload of ${payload.length} bytes exceeds ${CELL_PAYLOAD_MAX}`)
  const out = new Uint8Array(CELL_SIZE)
  const view = new DataView(out.buffer)
  view.setUint32(0, circId)
  out[4] = command
  view.setUint16(5, payload.length)
  out.set(payload, CELL_HEADER)
  return out
}

/** Refuses a wrong size, circId 0, an unknown command, an overlong length and non-zero padding. */
export function decodeCell(bytes: Uint8Array): Cell {
  if (!(bytes instanceof Uint8Array) || bytes.length !== CELL_SIZE)
    throw bad(`expected ${CELL_SIZE} bytes, got ${bytes?.length}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const circId = view.getUint32(0)
  const command = bytes[4]!
  const length = view.getUint16(5)
  if (circId === 0) throw bad('circId 0')
  if (command < CMD.CREATE || command > CMD.DESTROY_BACK) throw bad(`unknown command ${command}`)
  if (length > CELL_PAYLOAD_MAX) throw bad(`length ${length} exceeds ${CELL_PAYLOAD_MAX}`)
  for (let i = CELL_HEADER + length; i < CELL_SIZE; i++) if (bytes[i] !== 0) throw bad('non-zero padding')
  return { circId, command, payload: bytes.subarray(CELL_HEADER, CELL_HEADER + length) }
}

export function encodeRelay(command: number, data: Uint8Array): Uint8Array {
  if (data.length > RELAY_DATA_MAX)
    throw new SteleError(
      'STELE_PAYLOAD_TOO_LARGE',
      `relay data of ${data.length} bytes exceeds ${RELAY_DATA_MAX}`,
    )
  const out = new Uint8Array(RELAY_SIZE)
  out[0] = command
  new DataView(out.buffer).setUint16(1, data.length)
  out.set(data, RELAY_HEADER)
  return out
}

export function decodeRelay(plain: Uint8Array): { command: number; data: Uint8Array } {
  if (plain.length !== RELAY_SIZE)
    throw bad(`relay plaintext of ${plain.length} bytes, expected ${RELAY_SIZE}`)
  const command = plain[0]!
  const length = (plain[1]! << 8) | plain[2]!
  if (command < RELAY.EXTEND || command > RELAY.FRAGMENT) throw bad(`unknown relay command ${command}`)
  if (length > RELAY_DATA_MAX) throw bad(`relay length ${length} exceeds ${RELAY_DATA_MAX}`)
  for (let i = RELAY_HEADER + length; i < RELAY_SIZE; i++)
    if (plain[i] !== 0) throw bad('non-zero relay padding')
  return { command, data: plain.subarray(RELAY_HEADER, RELAY_HEADER + length) }
}

/** The status byte of REGISTERED and SEND_RESULT. */
export const STATUS = {
  OK: 0,
  /** Bad signature, another presence node named, or an expiry in the past or too far ahead. */
  REFUSED: 1,
  /** The key is not an account the chain knows. */
  UNKNOWN_ACCOUNT: 2,
  /** Not later than the registration this node already holds for the key. */
  STALE: 3,
  /** No presence record led to the recipient's circuit. */
  NOT_FOUND: 4,
  /** The message did not decode or its signature did not verify. */
  BAD_MESSAGE: 5,
} as const

/** A random circuit id, not 0 and not one `taken` already names on that link. */
export function freshCircId(random: (n: number) => Uint8Array, taken: (id: number) => boolean): number {
  for (;;) {
    const r = random(4)
    const id = new DataView(r.buffer, r.byteOffset, 4).getUint32(0)
    if (id !== 0 && !taken(id)) return id
  }
}
