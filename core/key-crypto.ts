import { scryptSync } from 'node:crypto'
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js'
import { fromHex, toHex } from './bytes.ts'
import { SteleError } from './errors.ts'

/**
 * A secret key under a passphrase (docs/security.md, wallet key files): scrypt derives a 32-byte key from the
 * passphrase and a random salt, and NaCl secretbox (XSalsa20-Poly1305, @noble/ciphers' `xsalsa20poly1305`, whose
 * output is NaCl's crypto_secretbox_easy: the 16-byte Poly1305 tag, then the ciphertext) seals the 32-byte Ed25519
 * seed under a random 24-byte nonce. Everything a reader needs is in the JSON, so a browser reads it with
 * @noble/hashes' scrypt and the same cipher.
 */
export interface SealedSecret {
  cipher: 'xsalsa20poly1305'
  kdf: 'scrypt'
  /** scrypt cost: N (a power of 2), r, p. */
  n: number
  r: number
  p: number
  salt: string
  nonce: string
  box: string
}

/** 2^15 × 8 × 128 B = 32 MiB and ~0.1 s per try: the parameters RFC 7914 §2 suggests for interactive use. */
export const SCRYPT_DEFAULTS = { n: 1 << 15, r: 8, p: 1 } as const

function derive(passphrase: string, salt: Uint8Array, s: { n: number; r: number; p: number }): Uint8Array {
  if (!Number.isInteger(s.n) || s.n < 2 || s.n > 1 << 20 || (s.n & (s.n - 1)) !== 0)
    throw new SteleError('STELE_BAD_ENCODING', 'sealed key: scrypt n must be a power of 2 up to 2^20')
  if (!Number.isInteger(s.r) || s.r < 1 || s.r > 32 || !Number.isInteger(s.p) || s.p < 1 || s.p > 16)
    throw new SteleError('STELE_BAD_ENCODING', 'sealed key: scrypt r or p out of range')
  return new Uint8Array(
    scryptSync(passphrase.normalize('NFKC'), salt, 32, {
      N: s.n,
      r: s.r,
      p: s.p,
      maxmem: 256 * s.n * s.r + 1024 * 1024,
    }),
  )
}

export function sealSecret(
  seed: Uint8Array,
  passphrase: string,
  random: (n: number) => Uint8Array,
  params: { n: number; r: number; p: number } = SCRYPT_DEFAULTS,
): SealedSecret {
  const salt = random(16)
  const nonce = random(24)
  const box = xsalsa20poly1305(derive(passphrase, salt, params), nonce).encrypt(seed)
  return {
    cipher: 'xsalsa20poly1305',
    kdf: 'scrypt',
    ...params,
    salt: toHex(salt),
    nonce: toHex(nonce),
    box: toHex(box),
  }
}

/** The seed; a wrong passphrase or any changed byte is STELE_NOT_AUTHORIZED (the tag does not verify). */
export function openSecret(sealed: unknown, passphrase: string): Uint8Array {
  const s = sealed as Partial<SealedSecret> | null
  if (!s || typeof s !== 'object' || s.cipher !== 'xsalsa20poly1305' || s.kdf !== 'scrypt')
    throw new SteleError(
      'STELE_BAD_ENCODING',
      'sealed key: expected {cipher: xsalsa20poly1305, kdf: scrypt, …}',
    )
  const salt = fromHex(String(s.salt), 'sealed key: salt', 16)
  const nonce = fromHex(String(s.nonce), 'sealed key: nonce', 24)
  const box = fromHex(String(s.box), 'sealed key: box', 48)
  const key = derive(passphrase, salt, { n: Number(s.n), r: Number(s.r), p: Number(s.p) })
  try {
    return xsalsa20poly1305(key, nonce).decrypt(box)
  } catch (cause) {
    throw new SteleError('STELE_NOT_AUTHORIZED', 'sealed key: wrong passphrase, or the file was changed', {
      cause,
    })
  }
}
