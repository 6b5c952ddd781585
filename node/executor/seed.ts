import { abytes, concatBytes } from '../../core/bytes.ts'
import { sha256 } from '../../core/hash.ts'

/** A run's seed: sha256(blockHash || utf8(contractId)), so each contract gets its own stream per block. */
export function deriveSeed(blockHash: Uint8Array, contractId: string): Uint8Array {
  return sha256(concatBytes(abytes(blockHash, 'blockHash', 32), new TextEncoder().encode(contractId)))
}

/** The generator's state: the seed's first 16 bytes as four little-endian 32-bit words. */
export function seedWords(seed: Uint8Array): [number, number, number, number] {
  abytes(seed, 'seed', 32)
  const v = new DataView(seed.buffer, seed.byteOffset, seed.byteLength)
  return [v.getInt32(0, true), v.getInt32(4, true), v.getInt32(8, true), v.getInt32(12, true)]
}
