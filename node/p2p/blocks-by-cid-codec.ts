/**
 * The byte layout of `/stele/<chainId>/blocks-by-cid/1.0.0` (docs/network.md §Storage across nodes). One stream per
 * block; every frame is an unsigned-varint length and that many bytes (libp2p's lpStream):
 *
 *   request   frame: u8 version (1) | the CID's binary form
 *   response  frame: u8 status (0 found, 1 not found) | the block's bytes when found
 *
 * The asker checks the bytes against the CID's SHA-256: a peer is trusted for nothing.
 */
import { CID } from 'multiformats/cid'
import { SteleError } from '../../core/errors.ts'

export const BY_CID_VERSION = 1
/** The largest block served or accepted: UnixFS chunks are at most 1 MiB (kubo's default is 256 KiB). */
export const MAX_CID_BLOCK = 1 << 20
/** A frame: the block and its status byte. */
export const MAX_CID_FRAME = MAX_CID_BLOCK + 1
/** A binary CIDv1 with a SHA-256 multihash is 36 bytes; room for longer codecs and hashes. */
const MAX_CID_BYTES = 128

export type CidResponse = { found: true; bytes: Uint8Array } | { found: false }

export function encodeCidRequest(cid: CID): Uint8Array {
  const c = cid.toV1().bytes
  const out = new Uint8Array(1 + c.length)
  out[0] = BY_CID_VERSION
  out.set(c, 1)
  return out
}

export function decodeCidRequest(bytes: Uint8Array): CID {
  if (bytes.length < 2 || bytes.length > 1 + MAX_CID_BYTES)
    throw new SteleError('STELE_BAD_ENCODING', `cid request: ${bytes.length} bytes`)
  if (bytes[0] !== BY_CID_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `cid request: unsupported version ${bytes[0]}`)
  try {
    return CID.decode(bytes.subarray(1))
  } catch (err) {
    throw new SteleError('STELE_BAD_ENCODING', `cid request: ${(err as Error).message}`, { cause: err })
  }
}

export function encodeCidResponse(r: CidResponse): Uint8Array {
  if (!r.found) return new Uint8Array([1])
  if (r.bytes.length > MAX_CID_BLOCK)
    throw new SteleError('STELE_BAD_REQUEST', `block of ${r.bytes.length} bytes is over ${MAX_CID_BLOCK}`)
  const out = new Uint8Array(1 + r.bytes.length)
  out.set(r.bytes, 1)
  return out
}

export function decodeCidResponse(bytes: Uint8Array): CidResponse {
  if (bytes.length === 1 && bytes[0] === 1) return { found: false }
  if (bytes.length < 2 || bytes[0] !== 0)
    throw new SteleError('STELE_BAD_ENCODING', 'cid response: neither a block nor not-found')
  // A copy: over TCP the frame is a view into a larger socket chunk.
  return { found: true, bytes: new Uint8Array(bytes.subarray(1)) }
}
