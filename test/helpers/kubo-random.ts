import { createCipheriv, createHash } from 'node:crypto'

/**
 * Kubo's deterministic test data (test/cli/testutils/random_deterministic.go): the ChaCha20 keystream under the key
 * SHA-256(seed) with a zero nonce, counter from 0. Kubo's CID fixtures are `ipfs add` of these bytes, so the same
 * recipe here gives the same file without storing it. Yields `chunk`-sized pieces; never holds the whole file.
 */
export function* kuboRandom(size: number, seed: string, chunk = 1 << 20): Generator<Uint8Array> {
  const key = createHash('sha256').update(seed).digest()
  // Node's chacha20 IV: 4-byte little-endian block counter, then the 12-byte nonce.
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(chunk)
  for (let left = size; left > 0; left -= chunk) {
    const n = Math.min(chunk, left)
    yield new Uint8Array(cipher.update(n === chunk ? zeros : zeros.subarray(0, n)))
  }
}

/** Human sizes as kubo's harness writes them (go-humanize: KiB, MiB). */
export const KiB = 1024
export const MiB = 1024 * KiB
