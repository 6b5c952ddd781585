import { scryptSync as nodeScrypt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../core/bytes.ts'
import * as nodeEd from '../../core/ed25519.ts'
import { sha256 as nodeSha256, sha256Binary as nodeSha256Binary } from '../../core/hash.ts'
import { Buffer as WebBuffer } from '../../web/shims/buffer.ts'
import * as webEd from '../../web/shims/ed25519.ts'
import {
  digestBytes as webDigestBytes,
  sha256 as webSha256,
  sha256Binary as webSha256Binary,
} from '../../web/shims/hash.ts'
import { scryptSync as webScrypt } from '../../web/shims/node-crypto.ts'

const rfc = JSON.parse(
  readFileSync(new URL('../../core/vectors/ed25519-rfc8032.json', import.meta.url), 'utf8'),
) as {
  vectors: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[]
}

// The browser bundle swaps core/hash.ts and core/ed25519.ts for these (web/build.ts): they must agree byte for byte.
describe('browser crypto shims agree with node:crypto', () => {
  it('passes the RFC 8032 vectors', () => {
    for (const v of rfc.vectors) {
      const seed = fromHex(v.secretKey)
      const msg = fromHex(v.message)
      expect(toHex(webEd.keyPairFromSeed(seed).publicKey), v.name).toBe(v.publicKey)
      expect(toHex(webEd.signMessage(msg, seed)), v.name).toBe(v.signature)
      expect(webEd.verifySignature(fromHex(v.signature), msg, fromHex(v.publicKey)), v.name).toBe(true)
    }
  })

  it('hashes, derives keys, signs and verifies as core does, also for tampered signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(63),
        fc.integer({ min: 1, max: 255 }),
        (seed, msg, at, flip) => {
          expect(toHex(webSha256(msg))).toBe(toHex(nodeSha256(msg)))
          // core/merkle.ts hashes inner nodes as latin1 digests and writes them back with Buffer#latin1Write.
          expect(webSha256Binary(msg)).toBe(nodeSha256Binary(msg))
          expect(toHex(webDigestBytes(webSha256Binary(msg)))).toBe(toHex(nodeSha256(msg)))
          const into = WebBuffer.alloc(40) as unknown as {
            latin1Write(s: string, o: number, l: number): number
          }
          into.latin1Write(webSha256Binary(msg), 3, 32)
          expect(toHex(Uint8Array.from(into as unknown as Uint8Array).subarray(3, 35))).toBe(
            toHex(nodeSha256(msg)),
          )
          const pub = webEd.keyPairFromSeed(seed).publicKey
          expect(toHex(pub)).toBe(toHex(nodeEd.keyPairFromSeed(seed).publicKey))
          const sig = webEd.signMessage(msg, seed)
          expect(toHex(sig)).toBe(toHex(nodeEd.signMessage(msg, seed)))
          expect(webEd.verifySignature(sig, msg, pub)).toBe(true)
          const bad = sig.slice()
          bad[at]! ^= flip
          expect(webEd.verifySignature(bad, msg, pub)).toBe(nodeEd.verifySignature(bad, msg, pub))
          expect(webEd.verifySignature(bad, msg, pub)).toBe(false)
          const badPub = pub.slice()
          badPub[at % 32]! ^= flip
          expect(webEd.verifySignature(sig, msg, badPub)).toBe(nodeEd.verifySignature(sig, msg, badPub))
        },
      ),
      { seed: 15, numRuns: 200 },
    )
  })

  it('answers false, never throws, for wrong-length keys and signatures', () => {
    const seed = new Uint8Array(32).fill(7)
    const pub = webEd.keyPairFromSeed(seed).publicKey
    const sig = webEd.signMessage(Uint8Array.of(1), seed)
    expect(webEd.verifySignature(sig.subarray(0, 63), Uint8Array.of(1), pub)).toBe(false)
    expect(webEd.verifySignature(sig, Uint8Array.of(1), pub.subarray(0, 31))).toBe(false)
    expect(() => webEd.keyPairFromSeed(new Uint8Array(31))).toThrow(/secretKey: expected 32 bytes/)
  })

  it('derives scrypt keys as node:crypto does (the sealed key files of core/key-crypto.ts), NFKC text included', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (pass, salt) => {
          const p = pass.normalize('NFKC')
          const opts = { N: 256, r: 8, p: 1 }
          expect(toHex(webScrypt(p, salt, 32, opts))).toBe(toHex(nodeScrypt(p, salt, 32, opts)))
        },
      ),
      { seed: 15, numRuns: 40 },
    )
  })
})
