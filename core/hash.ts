import { hash as oneShot } from 'node:crypto'

/**
 * SHA-256 through node's one-shot API (no Hash object per call). The digest comes back as a latin1 string and is
 * copied into a 32-byte Buffer of its own: asking the binding for a Buffer allocates an ArrayBuffer outside the
 * heap on every call, about 3x the cost of the hash, while a Buffer this small lives on the V8 heap.
 */
export function sha256(data: Uint8Array): Uint8Array {
  return digestBytes(sha256Binary(data))
}

/** The same digest as a latin1 string (one char per byte), for hashes that are hashed again (Merkle levels). */
export function sha256Binary(data: Uint8Array): string {
  return oneShot('sha256', data, 'binary')
}

/**
 * A latin1 digest as bytes, copied in JavaScript: writing it through the binding (latin1Write) would first move the
 * new Buffer off the heap, which costs more than the copy. Not pooled, so a hash kept for long holds 32 bytes only.
 */
export function digestBytes(d: string): Uint8Array {
  const out = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) out[i] = d.charCodeAt(i)
  return out
}
