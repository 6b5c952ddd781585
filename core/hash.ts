import { hash as oneShot } from 'node:crypto'

/** SHA-256 through node's one-shot API: no Hash object per call, which matters at 100k+ hashes/s. */
export function sha256(data: Uint8Array): Uint8Array {
  return oneShot('sha256', data, 'buffer') as unknown as Uint8Array
}
