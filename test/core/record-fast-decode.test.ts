import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ByteReader } from '../../core/bytes.ts'
import { decodeRecord, encodeRecord, readRecord } from '../../core/record.ts'
import { FUZZ, PROPS, record } from './arbitraries.ts'

/** The checked reader alone: what decodeRecord's fast path must agree with on every input. */
function checked(bytes: Uint8Array): unknown {
  try {
    const rd = new ByteReader(bytes, 'record')
    const r = readRecord(rd)
    rd.end()
    return { ok: r }
  } catch (e) {
    return { error: (e as Error).message }
  }
}

function fast(bytes: Uint8Array): unknown {
  try {
    return { ok: decodeRecord(bytes) }
  } catch (e) {
    return { error: (e as Error).message }
  }
}

describe('decodeRecord fast path', () => {
  it('decodes exactly what the checked reader decodes, for runs of records that share ids', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), (rs) => {
        for (const r of [...rs, ...rs]) {
          const bytes = encodeRecord(r)
          expect(fast(bytes)).toEqual(checked(bytes))
          expect(fast(Buffer.from(bytes))).toEqual(checked(bytes))
        }
      }),
      PROPS,
    )
  })

  it('refuses or accepts every damaged record as the checked reader does, with the same message', () => {
    fc.assert(
      fc.property(record, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (r, at, byte, cut) => {
        const good = encodeRecord(r)
        decodeRecord(good) // warms the caches with the undamaged ids and gateway
        const flipped = new Uint8Array(good)
        flipped[at % flipped.length] = byte
        expect(fast(flipped)).toEqual(checked(flipped))
        const short = good.subarray(0, cut % good.length)
        expect(fast(short)).toEqual(checked(short))
        const long = new Uint8Array([...good, byte])
        expect(fast(long)).toEqual(checked(long))
      }),
      FUZZ,
    )
  })

  it('never hands out a gateway array a caller changed', () => {
    fc.assert(
      fc.property(record, (r) => {
        const bytes = encodeRecord(r)
        const a = decodeRecord(bytes)
        a.gateway[0] = a.gateway[0]! ^ 0xff
        expect(decodeRecord(bytes).gateway).toEqual(r.gateway)
      }),
      PROPS,
    )
  })
})
