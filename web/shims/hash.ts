import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

/** core/hash.ts for the browser: same signature, pure-JS SHA-256 (node:crypto is not there). */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data)
}
