import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AccountProofBundle, verifyAccountProof } from '../../core/account-proof.ts'
import { formatCoins, MAX_AMOUNT, parseCoins } from '../../core/amount.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { isSteleError } from '../../core/errors.ts'
import { openSecret, sealSecret } from '../../core/key-crypto.ts'
import V from '../../core/vectors/ledger.json' with { type: 'json' }

const bundles = V.accountProofs.map((a) => a.bundle as AccountProofBundle)
const FIELDS = ['account', 'value', 'stateProof', 'blockHeader', 'blockSignature'] as const

describe('account proof bundles', () => {
  it('the vector bundles verify, with and without a trusted genesis', () => {
    for (const b of bundles) {
      expect(verifyAccountProof(b).ok).toBe(true)
      expect(verifyAccountProof(b, JSON.stringify(b.genesis)).ok).toBe(true)
    }
  })

  it('any changed byte of any field fails at a named check, never throws', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...bundles),
        fc.constantFrom(...FIELDS),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (b, field, at, flip) => {
          const hex = b[field]
          if (hex === null) return
          const bytes = fromHex(hex, field)
          const i = at % bytes.length
          bytes[i]! ^= flip
          const r = verifyAccountProof({ ...b, [field]: toHex(bytes) }, b.genesis)
          // A non-inclusion proof ends at the leaf where the key would be: another account on the same short path
          // is as absent, so that proof holds for it too (a true statement, docs/protocol.md §9.7).
          if (r.ok && b.value === null && field === 'account') {
            expect(r.state).toBeNull()
            return
          }
          expect(r.ok).toBe(false)
          expect(r.checks.at(-1)?.ok).toBe(false)
        },
      ),
      { seed: 1201, numRuns: 400 },
    )
  })

  it('arbitrary JSON in any field is a failed check, never an exception', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...bundles),
        fc.constantFrom(...FIELDS, 'format', 'genesis'),
        fc.jsonValue(),
        (b, field, junk) => {
          if (JSON.stringify(junk) === JSON.stringify(b[field as keyof AccountProofBundle])) return
          const r = verifyAccountProof({ ...b, [field]: junk } as unknown as AccountProofBundle)
          expect(r.ok).toBe(false)
          expect(r.checks.at(-1)?.ok).toBe(false)
        },
      ),
      { seed: 1202, numRuns: 300 },
    )
    expect(verifyAccountProof(null as unknown as AccountProofBundle).checks[0]?.name).toBe('bundle.format')
  })
})

describe('sealed wallet keys', () => {
  const fast = { n: 16, r: 1, p: 1 }
  let counter = 0
  const random = (n: number) => new Uint8Array(n).map(() => counter++ & 0xff)

  it('round-trip, and any changed byte or wrong passphrase is refused with a code', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string(),
        fc.nat(),
        (seed, pass, at) => {
          const sealed = sealSecret(seed, pass, random, fast)
          expect(openSecret(sealed, pass)).toEqual(seed)
          expect(() => openSecret(sealed, `${pass}x`)).toThrow(/wrong passphrase/)
          const box = fromHex(sealed.box, 'box')
          box[at % box.length]! ^= 1
          expect(() => openSecret({ ...sealed, box: toHex(box) }, pass)).toThrow(/wrong passphrase/)
        },
      ),
      { seed: 1203, numRuns: 50 },
    )
  })

  it('a malformed sealed object is a coded error, never a crash or a huge scrypt', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (junk) => {
        try {
          openSecret(junk, 'p')
          expect.unreachable()
        } catch (e) {
          expect(isSteleError(e)).toBe(true)
        }
      }),
      { seed: 1204, numRuns: 200 },
    )
    const good = sealSecret(new Uint8Array(32), 'p', random, fast)
    expect(() => openSecret({ ...good, n: 1 << 24 }, 'p')).toThrow(/power of 2/)
  })
})

describe('coins', () => {
  it('formatCoins and parseCoins are inverse for every amount and decimals', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_AMOUNT }), fc.integer({ min: 0, max: 18 }), (v, d) => {
        expect(parseCoins(formatCoins(v, d), d, 'amount')).toBe(v)
      }),
      { seed: 1205, numRuns: 500 },
    )
    expect(() => parseCoins('1.0000001', 6, 'amount')).toThrow(/at most 6 digits/)
    expect(() => parseCoins('-1', 6, 'amount')).toThrow()
    expect(() => parseCoins('18446744073709551616', 0, 'amount')).toThrow(/2\^64/)
  })
})
