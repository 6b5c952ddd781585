import { describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { SteleError } from '../../../core/errors.ts'
import {
  decodeEvidence,
  detectEquivocation,
  encodeEvidence,
  verifyEquivocation,
} from '../../../node/consensus/equivocation.ts'
import { build, keys, snapshotOf } from './chain.ts'

const snap = snapshotOf(['A', 'B', 'C'])
const producers = snap.producers
const [a1] = build(snap, [{ by: 'A', salt: 1 }])
const [a2] = build(snap, [{ by: 'A', salt: 2 }])
const [b1] = build(snap, [{ by: 'B', salt: 1 }])
const signed = (h: typeof a1) => ({ header: h!.header, signature: h!.signature })

describe('equivocation evidence', () => {
  it('two blocks of one producer at one height are evidence that verifies', () => {
    const e = detectEquivocation(signed(a1), signed(a2))
    expect(e).toBeDefined()
    expect(verifyEquivocation(e!, producers)).toEqual({
      ok: true,
      producer: toHex(keys.A.publicKey),
      height: 1,
      chainId: snap.chainId,
    })
  })

  it('is not found for the same block twice, or blocks of two producers', () => {
    expect(detectEquivocation(signed(a1), signed(a1))).toBeUndefined()
    expect(detectEquivocation(signed(a1), signed(b1))).toBeUndefined()
    const [a1next] = build(a1!, [{ by: 'A' }])
    expect(detectEquivocation(signed(a1), signed(a1next))).toBeUndefined()
  })

  it('has one encoding whichever order the blocks came in, and round-trips', () => {
    const x = encodeEvidence(detectEquivocation(signed(a1), signed(a2))!)
    const y = encodeEvidence(detectEquivocation(signed(a2), signed(a1))!)
    expect(x).toEqual(y)
    expect(verifyEquivocation(decodeEvidence(x), producers).ok).toBe(true)
    // Swapped halves are a second encoding of the same offence: refused.
    const e = decodeEvidence(x)
    const swapped = new Uint8Array([1, ...part(e.b), ...part(e.a)])
    expect(() => decodeEvidence(swapped)).toThrow(/order/)
    expect(() => decodeEvidence(x.subarray(0, x.length - 1))).toThrow(SteleError)
    expect(() => decodeEvidence(new Uint8Array([2, ...x.subarray(1)]))).toThrow(/version/)
  })

  it.each([
    [
      'a forged signature',
      () => ({ a: signed(a1), b: { ...signed(a2), signature: signed(a1).signature } }),
      /signature/,
    ],
    ['two producers', () => ({ a: signed(a1), b: signed(b1) }), /different producers/],
    ['the same block', () => ({ a: signed(a1), b: signed(a1) }), /same block/],
    ['two heights', () => ({ a: signed(a1), b: signed(build(a1!, [{ by: 'A' }])[0]) }), /different heights/],
    [
      'a header that does not decode',
      () => ({ a: signed(a1), b: { header: new Uint8Array(3), signature: new Uint8Array(64) } }),
      /decode/,
    ],
  ])('refuses evidence of %s, saying why', (_, make, reason) => {
    const v = verifyEquivocation(make(), producers)
    expect(v.ok).toBe(false)
    expect(v.ok ? '' : v.reason).toMatch(reason)
  })

  it('refuses evidence against a key that is no producer', () => {
    const e = detectEquivocation(signed(a1), signed(a2))!
    expect(verifyEquivocation(e, snapshotOf(['B', 'C']).producers)).toMatchObject({
      ok: false,
      reason: /no producer/,
    })
  })
})

function part(s: { header: Uint8Array; signature: Uint8Array }): number[] {
  const len = new Uint8Array(4)
  new DataView(len.buffer).setUint32(0, s.header.length)
  return [...len, ...s.header, ...s.signature]
}
