import { scrypt } from '@noble/hashes/scrypt.js'

/**
 * The one node:crypto function core/key-crypto.ts uses, for the browser: scrypt from @noble/hashes (RFC 7914, the
 * same bytes as OpenSSL's; test/web/crypto-shims.test.ts holds them equal). `maxmem` is node's guard and not needed.
 */
export function scryptSync(
  password: string | Uint8Array,
  salt: Uint8Array,
  keylen: number,
  opts: { N: number; r: number; p: number; maxmem?: number },
): Uint8Array {
  return scrypt(password, salt, { N: opts.N, r: opts.r, p: opts.p, dkLen: keylen })
}
