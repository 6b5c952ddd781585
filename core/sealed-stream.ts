import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js'
import { SteleError } from './errors.ts'

/**
 * Client-side encryption of a file as a stream of NaCl secretbox (XSalsa20-Poly1305) chunks, so a file of any size
 * is sealed and opened in constant memory (docs/storage.md, "Encryption"):
 *
 *   header  = "SBX1" | chunk size (u32 BE) | file nonce (16 random bytes)            24 bytes
 *   chunk i = secretbox(key, nonce_i, plaintext_i)                                   |plaintext_i| + 16 bytes
 *   nonce_i = file nonce (16) | u64 BE (i, with the top bit set on the last chunk)   24 bytes
 *
 * Every chunk but the last holds exactly `chunk size` plaintext bytes; the last holds 0 to `chunk size` (an empty
 * file is one empty last chunk). The last-chunk bit makes a truncated or extended stream fail to open, and the
 * index makes reordered chunks fail. The key (32 bytes) never leaves the client.
 */
export const SEALED_MAGIC = new Uint8Array([0x53, 0x42, 0x58, 0x31]) // "SBX1"
export const SEALED_HEADER_BYTES = 24
export const SEALED_CHUNK_BYTES = 65_536
export const TAG_BYTES = 16
export const KEY_BYTES = 32

function nonceFor(fileNonce: Uint8Array, index: number, last: boolean): Uint8Array {
  const n = new Uint8Array(24)
  n.set(fileNonce, 0)
  const v = new DataView(n.buffer)
  v.setUint32(16, Math.floor(index / 2 ** 32) | (last ? 0x8000_0000 : 0))
  v.setUint32(20, index >>> 0)
  return n
}

/** Re-chunks a byte stream into pieces of exactly `size` bytes (the last may be shorter), copying as needed. */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(size)
  let fill = 0
  for await (const part of source) {
    let at = 0
    while (at < part.length) {
      const n = Math.min(size - fill, part.length - at)
      buf.set(part.subarray(at, at + n), fill)
      fill += n
      at += n
      if (fill === size) {
        yield buf
        buf = new Uint8Array(size)
        fill = 0
      }
    }
  }
  yield buf.subarray(0, fill)
}

/** Seals a plaintext stream; `random` gives the file nonce (inject a fixed one in tests). */
export async function* sealStream(
  source: AsyncIterable<Uint8Array>,
  key: Uint8Array,
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
  chunkBytes = SEALED_CHUNK_BYTES,
): AsyncGenerator<Uint8Array> {
  if (key.length !== KEY_BYTES) throw new SteleError('STELE_BAD_REQUEST', `key: expected ${KEY_BYTES} bytes`)
  const fileNonce = random(16)
  const header = new Uint8Array(SEALED_HEADER_BYTES)
  header.set(SEALED_MAGIC, 0)
  new DataView(header.buffer).setUint32(4, chunkBytes)
  header.set(fileNonce, 8)
  yield header
  // One chunk of look-ahead: a chunk is the last when the source has nothing after it.
  let index = 0
  let held: Uint8Array | undefined
  for await (const chunk of rechunk(source, chunkBytes)) {
    if (held) yield xsalsa20poly1305(key, nonceFor(fileNonce, index++, false)).encrypt(held)
    held = chunk
  }
  // rechunk always ends with a short piece (empty after a whole number of chunks), so the last chunk is never full.
  yield xsalsa20poly1305(key, nonceFor(fileNonce, index, true)).encrypt(held ?? new Uint8Array(0))
}

/** Opens a sealed stream; a wrong key, a changed byte, or a cut, extended or reordered stream is STELE_BAD_ENCODING. */
export async function* openStream(
  source: AsyncIterable<Uint8Array>,
  key: Uint8Array,
): AsyncGenerator<Uint8Array> {
  const bad = (m: string) => new SteleError('STELE_BAD_ENCODING', `sealed file: ${m}`)
  let header: Uint8Array | undefined
  let fileNonce = new Uint8Array(0)
  let frame = 0
  let index = 0
  let held: Uint8Array | undefined
  let buf: Uint8Array = new Uint8Array(0)
  const open = (sealed: Uint8Array, last: boolean) => {
    try {
      return xsalsa20poly1305(key, nonceFor(fileNonce, index++, last)).decrypt(sealed)
    } catch {
      throw bad(`chunk ${index - 1} does not open (wrong key, changed bytes, or a cut or reordered stream)`)
    }
  }
  for await (const part of source) {
    buf = buf.length === 0 ? part : Buffer.concat([buf, part])
    if (!header) {
      if (buf.length < SEALED_HEADER_BYTES) continue
      header = buf.subarray(0, SEALED_HEADER_BYTES)
      if (!SEALED_MAGIC.every((b, i) => header![i] === b)) throw bad('not a Stele sealed file (magic)')
      frame = new DataView(header.buffer, header.byteOffset).getUint32(4) + TAG_BYTES
      fileNonce = header.slice(8, 24)
      buf = buf.subarray(SEALED_HEADER_BYTES)
    }
    while (buf.length >= frame) {
      if (held) yield open(held, false)
      held = buf.slice(0, frame)
      buf = buf.subarray(frame)
    }
  }
  if (!header) throw bad('shorter than its header')
  if (buf.length > 0) {
    if (held) yield open(held, false)
    held = buf
  }
  if (!held) throw bad('no chunk')
  yield open(held, true)
}
