import { ed25519 } from '@noble/curves/ed25519.js'
import { abytes } from '../../core/bytes.ts'

/** core/ed25519.ts for the browser: the same exports over @noble/curves (test/web/crypto-shims.test.ts holds them equal). */

export interface KeyPair {
  /** 32-byte seed (RFC 8032 private key). */
  secretKey: Uint8Array
  publicKey: Uint8Array
}

const webRandom = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n))

export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  abytes(seed, 'secretKey', 32)
  return { secretKey: seed, publicKey: ed25519.getPublicKey(seed) }
}

export function generateKeyPair(random: (n: number) => Uint8Array = webRandom): KeyPair {
  return keyPairFromSeed(new Uint8Array(random(32)))
}

export function signMessage(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  abytes(secretKey, 'secretKey', 32)
  return ed25519.sign(message, secretKey)
}

/** False, never a throw, as core's. zip215 off: RFC 8032 strict decoding, as OpenSSL behind node:crypto. */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}
