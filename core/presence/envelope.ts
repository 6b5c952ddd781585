/**
 * A PeerStream message (docs/presence.md §7), signed by its sender so the receiver knows whom to answer and no
 * presence node can forge or alter it on the way.
 *
 *   version u8 (1) | from [32] | to [32] | time u64 | length u16 | data[length] | signature [64]
 *   signature = Ed25519(fromSecret, "stele:presence:message:v1" ‖ everything before it)
 */
import { abytes, ByteReader, ByteWriter, concatBytes, utf8 } from '../bytes.ts'
import { signMessage, verifySignature } from '../ed25519.ts'
import { SteleError } from '../errors.ts'
import { MESSAGE_MAX } from './fragment.ts'

export const MESSAGE_DOMAIN = 'stele:presence:message:v1'
export const MESSAGE_VERSION = 1
export const ENVELOPE_OVERHEAD = 1 + 32 + 32 + 8 + 2 + 64
/** The largest message data: a SEND (in fragments past one cell) holds a 4-byte request id and the envelope. */
export const MESSAGE_DATA_MAX = MESSAGE_MAX - 4 - ENVELOPE_OVERHEAD
/** The largest envelope, for the streams between presence nodes. */
export const ENVELOPE_MAX = MESSAGE_DATA_MAX + ENVELOPE_OVERHEAD

export interface Envelope {
  from: Uint8Array
  to: Uint8Array
  time: number
  data: Uint8Array
  signature: Uint8Array
  bytes: Uint8Array
}

export function signEnvelope(
  m: { from: Uint8Array; to: Uint8Array; time: number; data: Uint8Array },
  fromSecret: Uint8Array,
): Envelope {
  if (m.data.length > MESSAGE_DATA_MAX)
    throw new SteleError(
      'STELE_PAYLOAD_TOO_LARGE',
      `presence message of ${m.data.length} bytes exceeds ${MESSAGE_DATA_MAX}`,
    )
  const body = new ByteWriter(ENVELOPE_OVERHEAD + m.data.length)
    .u8(MESSAGE_VERSION)
    .bytes(abytes(m.from, 'from', 32))
    .bytes(abytes(m.to, 'to', 32))
    .u64(m.time)
    .u16(m.data.length)
    .bytes(m.data)
    .finish()
  const signature = signMessage(concatBytes(utf8(MESSAGE_DOMAIN), body), fromSecret)
  return { ...m, signature, bytes: concatBytes(body, signature) }
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const r = new ByteReader(abytes(bytes, 'presence message'), 'presence message')
  const version = r.u8('version')
  if (version !== MESSAGE_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `presence message: unknown version ${version}`)
  const from = r.bytes(32, 'from')
  const to = r.bytes(32, 'to')
  const time = r.u64('time')
  const data = r.bytes(r.u16('length'), 'data')
  const signature = r.bytes(64, 'signature')
  r.end()
  return { from, to, time, data, signature, bytes }
}

export function verifyEnvelope(e: Envelope): boolean {
  return verifySignature(
    e.signature,
    concatBytes(utf8(MESSAGE_DOMAIN), e.bytes.subarray(0, e.bytes.length - 64)),
    e.from,
  )
}
