import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto'
import { abytes } from './bytes.ts'

// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI), so node:crypto can use them.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface KeyPair {
  /** 32-byte seed (RFC 8032 private key). */
  secretKey: Uint8Array
  publicKey: Uint8Array
}

const privateCache = new WeakMap<Uint8Array, KeyObject>()
// Verifying the same few gateway and producer keys over and over: parsing SPKI each time would cost more than the verify.
const publicCache = new Map<string, KeyObject>()
const PUBLIC_CACHE_MAX = 4096

function privateKeyObject(seed: Uint8Array): KeyObject {
  let key = privateCache.get(seed)
  if (!key) {
    abytes(seed, 'secretKey', 32)
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
    privateCache.set(seed, key)
  }
  return key
}

function publicKeyObject(pub: Uint8Array): KeyObject {
  const id = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString('latin1')
  let key = publicCache.get(id)
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' })
    if (publicCache.size >= PUBLIC_CACHE_MAX) publicCache.clear()
    publicCache.set(id, key)
  }
  return key
}

export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  const key = privateKeyObject(seed)
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return { secretKey: seed, publicKey: new Uint8Array(der.subarray(SPKI_PREFIX.length)) }
}

export function generateKeyPair(random: (n: number) => Uint8Array = randomBytes): KeyPair {
  return keyPairFromSeed(new Uint8Array(random(32)))
}

export function signMessage(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyObject(secretKey)))
}

/** False, never a throw, for a wrong-length key or signature: callers turn false into a coded refusal. */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  try {
    return verify(null, message, publicKeyObject(publicKey), signature)
  } catch {
    return false
  }
}
