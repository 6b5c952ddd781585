import { hash as oneShot } from 'node:crypto'

/**
 * SHA-256 through node's one-shot API (no Hash object per call). The digest comes back as a latin1 string and is
 * copied into a Buffer from node's shared pool: asking the binding for a Buffer allocates an ArrayBuffer of its own
 * on every call, about 3x the cost of the hash. Like any small Buffer.from, the result may share its ArrayBuffer
 * with other Buffers: read it through byteOffset (core/bytes.ts), never transfer its .buffer.
 */
export function sha256(data: Uint8Array): Uint8Array {
  return Buffer.from(sha256Binary(data), 'latin1')
}

/** The same digest as a latin1 string (one char per byte), for hashes that are hashed again (Merkle levels). */
export function sha256Binary(data: Uint8Array): string {
  return oneShot('sha256', data, 'binary')
}
