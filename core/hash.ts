import { hash as oneShot } from 'node:crypto'

/** SHA-256 through node's one-shot API: no Hash object per call, which matters at 100k+ hashes/s. */
export function sha256(data: Uint8Array): Uint8Array {
  return oneShot('sha256', data, 'buffer') as unknown as Uint8Array
}

/**
 * The same digest as a latin1 string (one char per byte), for hashes that are hashed again (Merkle levels): about
 * 2x cheaper a call than a Buffer result, whose own ArrayBuffer the binding allocates on every call.
 */
export function sha256Binary(data: Uint8Array): string {
  return oneShot('sha256', data, 'binary')
}
