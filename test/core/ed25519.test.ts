import { createPrivateKey, createPublicKey, sign as rawSign, verify as rawVerify } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../core/bytes.ts'
import {
  generateKeyPair,
  isStrictPoint,
  keyPairFromSeed,
  signMessage,
  verifySignature,
} from '../../core/ed25519.ts'
import { isSteleError } from '../../core/errors.ts'
import edgeCases from '../../core/vectors/ed25519-edge-cases.json' with { type: 'json' }
import rfc8032 from '../../core/vectors/ed25519-rfc8032.json' with { type: 'json' }

const vectors = rfc8032.vectors.map((v) => ({
  name: v.name,
  seed: fromHex(v.secretKey),
  pub: fromHex(v.publicKey),
  msg: fromHex(v.message),
  sig: fromHex(v.signature),
}))

/** The Ed25519 group order L, little-endian as S is encoded. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n

function flip(b: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const c = new Uint8Array(b)
  c[i] = c[i]! ^ mask
  return c
}

describe('Ed25519 against RFC 8032 §7.1', () => {
  it('has the four vectors, with TEST 1024 a 1023-byte message', () => {
    expect(vectors.map((v) => v.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3', 'TEST 1024'])
    expect(vectors[3]!.msg.length).toBe(1023)
  })

  for (const v of vectors) {
    describe(v.name, () => {
      it('derives the public key from the seed', () => {
        expect(toHex(keyPairFromSeed(v.seed).publicKey)).toBe(toHex(v.pub))
      })
      it('signs to exactly the published signature, every time', () => {
        expect(toHex(signMessage(v.msg, v.seed))).toBe(toHex(v.sig))
        expect(toHex(signMessage(v.msg, new Uint8Array(v.seed)))).toBe(toHex(v.sig))
      })
      it('verifies the published signature', () => {
        expect(verifySignature(v.sig, v.msg, v.pub)).toBe(true)
      })
      it('rejects every single-byte change of the signature', () => {
        for (let i = 0; i < 64; i++) {
          expect(verifySignature(flip(v.sig, i), v.msg, v.pub), `bit 0 of byte ${i}`).toBe(false)
          expect(verifySignature(flip(v.sig, i, 0x80), v.msg, v.pub), `bit 7 of byte ${i}`).toBe(false)
        }
      })
      it('rejects a changed message and a changed key', () => {
        const longer = new Uint8Array([...v.msg, 0])
        expect(verifySignature(v.sig, longer, v.pub)).toBe(false)
        if (v.msg.length > 0) {
          expect(verifySignature(v.sig, flip(v.msg, 0), v.pub)).toBe(false)
          expect(verifySignature(v.sig, flip(v.msg, v.msg.length - 1, 0x80), v.pub)).toBe(false)
          expect(verifySignature(v.sig, v.msg.subarray(1), v.pub)).toBe(false)
        }
        for (const i of [0, 15, 31]) expect(verifySignature(v.sig, v.msg, flip(v.pub, i))).toBe(false)
        const other = vectors.find((o) => o !== v)!
        expect(verifySignature(v.sig, v.msg, other.pub)).toBe(false)
      })
    })
  }

  it('rejects a malleated signature (S + L), as RFC 8032 §5.1.7 requires', () => {
    const v = vectors[0]!
    const s = BigInt(`0x${toHex(v.sig.subarray(32).slice().reverse())}`)
    const s2 = s + L
    expect(s2 < 1n << 256n).toBe(true)
    const le = fromHex(s2.toString(16).padStart(64, '0')).reverse()
    const malleated = new Uint8Array([...v.sig.subarray(0, 32), ...le])
    expect(verifySignature(malleated, v.msg, v.pub)).toBe(false)
  })

  it('answers false, never throws, for wrong lengths and keys that are not points', () => {
    const v = vectors[1]!
    expect(verifySignature(v.sig.subarray(0, 63), v.msg, v.pub)).toBe(false)
    expect(verifySignature(new Uint8Array([...v.sig, 0]), v.msg, v.pub)).toBe(false)
    expect(verifySignature(v.sig, v.msg, v.pub.subarray(0, 31))).toBe(false)
    expect(verifySignature(v.sig, v.msg, new Uint8Array(32).fill(0xff))).toBe(false)
    expect(verifySignature(new Uint8Array(64), v.msg, new Uint8Array(32))).toBe(false)
  })

  it('refuses a secret key that is not 32 bytes with STELE_BAD_ENCODING', () => {
    let thrown: unknown
    try {
      signMessage(new Uint8Array(1), new Uint8Array(31))
    } catch (e) {
      thrown = e
    }
    expect(isSteleError(thrown, 'STELE_BAD_ENCODING')).toBe(true)
  })

  it('generates key pairs from the randomness it is given', () => {
    const v = vectors[2]!
    const k = generateKeyPair(() => v.seed)
    expect(toHex(k.publicKey)).toBe(toHex(v.pub))
    const a = generateKeyPair()
    const b = generateKeyPair()
    expect(toHex(a.secretKey)).not.toBe(toHex(b.secretKey))
    const sig = signMessage(v.msg, a.secretKey)
    expect(verifySignature(sig, v.msg, a.publicKey)).toBe(true)
    expect(verifySignature(sig, v.msg, b.publicKey)).toBe(false)
  })

  it('agrees with raw node:crypto on the same keys', () => {
    const v = vectors[3]!
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), v.seed])
    const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    expect(toHex(rawSign(null, v.msg, priv))).toBe(toHex(v.sig))
    expect(rawVerify(null, v.msg, createPublicKey(priv), v.sig)).toBe(true)
  })
})

describe('Ed25519 edge cases ("Taming the many EdDSAs", core/vectors/ed25519-edge-cases.json)', () => {
  /** node:crypto alone, without core/ed25519.ts's extra refusals. */
  const openssl = (c: (typeof edgeCases.cases)[number]): boolean =>
    rawVerify(
      null,
      Buffer.from(c.message, 'hex'),
      createPublicKey({
        key: Buffer.from(`302a300506032b6570032100${c.publicKey}`, 'hex'),
        format: 'der',
        type: 'spki',
      }),
      Buffer.from(c.signature, 'hex'),
    )

  it('has the twelve published cases, of which Stele accepts only case 3', () => {
    expect(edgeCases.cases.map((c) => c.case)).toEqual([...Array(12).keys()])
    expect(edgeCases.cases.filter((c) => c.stele === 'accept').map((c) => c.case)).toEqual([3])
  })

  for (const c of edgeCases.cases) {
    it(`case ${c.case}: ${c.stele}s (${c.why})`, () => {
      expect(verifySignature(fromHex(c.signature), fromHex(c.message), fromHex(c.publicKey))).toBe(
        c.stele === 'accept',
      )
      // What OpenSSL answers on its own: a change of node's OpenSSL that moves a case shows here.
      expect(openssl(c)).toBe(c.opensslAlone === 'accept')
    })
  }

  it('docs/protocol.md lists every case with the answer Stele gives', async () => {
    const doc = await readFile(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
    for (const c of edgeCases.cases)
      expect(doc, `case ${c.case}`).toMatch(
        new RegExp(`^\\| ${c.case} \\| .* \\| ${c.stele === 'accept' ? 'accepted' : 'refused'} \\|$`, 'm'),
      )
  })

  /** noble's strict decoding (no ZIP 215) and small-order test: an independent statement of the same rule. */
  function nobleStrict(b: Uint8Array): boolean | undefined {
    try {
      ed25519.Point.fromBytes(b, true) // on the curve at all? (ZIP 215 accepts non-canonical y)
    } catch {
      return undefined
    }
    try {
      return !ed25519.Point.fromBytes(b, false).isSmallOrder()
    } catch {
      return false
    }
  }

  it('isStrictPoint refuses exactly the non-canonical and small-order encodings of curve points', () => {
    const P = (1n << 255n) - 19n
    const le = (n: bigint, sign: number): Uint8Array => {
      const b = fromHex(n.toString(16).padStart(64, '0')).reverse()
      b[31] = b[31]! | (sign << 7)
      return b
    }
    const special: Uint8Array[] = []
    for (let y = 0n; y < 19n; y++)
      for (const sign of [0, 1]) special.push(le(y, sign), le(y + P, sign), le(P - 1n - y, sign))
    for (const c of edgeCases.cases) special.push(fromHex(c.publicKey), fromHex(c.signature).subarray(0, 32))
    for (const v of vectors) special.push(v.pub, v.sig.subarray(0, 32))
    let points = 0
    const check = (b: Uint8Array): void => {
      const want = nobleStrict(b)
      if (want === undefined) return
      points++
      expect(isStrictPoint(b), toHex(b)).toBe(want)
    }
    for (const b of special) check(b)
    expect(special.filter((b) => nobleStrict(b) === false).length).toBeGreaterThan(10)
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => check(b)),
      { seed: 8032, numRuns: 2000 },
    )
    expect(points).toBeGreaterThan(500)
  })
})
