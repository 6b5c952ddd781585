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

// The y coordinates (little-endian, sign bit cleared) of the eight points of small order: 0 and 1, p − 1, and the
// two of order 8. Each stands for two encodings, x and −x; for y = 1 and p − 1 (x = 0) the second is non-canonical.
const SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map((h) => Buffer.from(h, 'hex'))

/**
 * Whether the 32 bytes at `at` are a point encoding Stele accepts as A or R (docs/protocol.md §1): canonical (y below
 * p = 2^255 − 19, and no sign bit when x = 0) and not of small order. Whether the point is on the curve at all is
 * left to the verify, which fails for one that is not.
 */
export function isStrictPoint(b: Uint8Array, at = 0): boolean {
  const top = b[at + 31]! & 0x7f
  let ones = top === 0x7f
  for (let i = 1; ones && i < 31; i++) ones = b[at + i] === 0xff
  if (ones && b[at]! >= 0xed) return false // y ≥ p
  for (const y of SMALL_ORDER_Y) {
    let same = top === y[31]
    for (let i = 0; same && i < 31; i++) same = b[at + i] === y[i]
    // Small order whatever the sign bit; this also refuses the only non-canonical sign bits, those of x = 0.
    if (same) return false
  }
  return true
}

/**
 * False, never a throw, for a wrong-length key or signature: callers turn false into a coded refusal. Beyond
 * OpenSSL's RFC 8032 verify (S < L, the cofactorless equation checked on the encoding of R), refuses a key A or a
 * commitment R that is non-canonical or of small order, as libsodium and ed25519-dalek's verify_strict do.
 */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  if (!isStrictPoint(publicKey) || !isStrictPoint(signature)) return false
  try {
    return verify(null, message, publicKeyObject(publicKey), signature)
  } catch {
    return false
  }
}
