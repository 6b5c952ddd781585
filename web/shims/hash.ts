import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

/** core/hash.ts for the browser: same exports, pure-JS SHA-256 (node:crypto is not there). */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data)
}

/** The digest as a latin1 string (one char per byte), as core/hash.ts gives it to core/merkle.ts. */
export function sha256Binary(data: Uint8Array): string {
  return String.fromCharCode(...nobleSha256(data))
}

/** A latin1 digest as bytes. */
export function digestBytes(d: string): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = d.charCodeAt(i)
  return out
}
