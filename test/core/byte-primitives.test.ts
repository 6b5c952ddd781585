import { describe, expect, it } from 'vitest'
import { ByteReader, ByteWriter, fromHex, toHex } from '../../core/bytes.ts'
import { encodeRecord } from '../../core/record.ts'
import { encodeTxBody } from '../../core/transaction.ts'
import { buildScenario } from './fixtures.ts'
import { refuses } from './refuses.ts'

const S = buildScenario()

describe('byte primitives', () => {
  it('writes big-endian integers, f64 and length-prefixed strings', () => {
    const b = new ByteWriter(1)
      .u8(0xab)
      .u16(0x0102)
      .u32(0x03040506)
      .u64(2 ** 53 - 1)
      .f64(-2)
      .str8('é', 'f')
      .var32(fromHex('ff'))
      .finish()
    expect(toHex(b)).toBe(`ab0102030405060${'01fffffffffffff'}c000000000000000${'02c3a9'}00000001ff`)
  })
  it('refuses u64 values outside 0..2^53-1 both ways', () => {
    refuses(() => new ByteWriter().u64(2 ** 53))
    refuses(() => new ByteWriter().u64(-1))
    refuses(() => new ByteWriter().u64(1.5))
    expect(new ByteReader(fromHex('001fffffffffffff'), 'x').u64('v')).toBe(2 ** 53 - 1)
    refuses(() => new ByteReader(fromHex('0020000000000000'), 'x').u64('v'), /exceeds 2\^53/)
  })
  it('refuses u8, u16 and u32 values that do not fit, instead of wrapping or truncating them', () => {
    for (const [w, max] of [
      [(v: number) => new ByteWriter().u8(v), 0xff],
      [(v: number) => new ByteWriter().u16(v), 0xffff],
      [(v: number) => new ByteWriter().u32(v), 0xffff_ffff],
    ] as const) {
      expect(() => w(max)).not.toThrow()
      for (const bad of [max + 1, -1, 1.5, Number.NaN]) refuses(() => w(bad), /out of range/)
    }
    // A transaction type of 257 used to be signed as type 1, a record batch.
    refuses(() => encodeTxBody({ ...S.registrationTx, type: 257 }))
    refuses(() => encodeRecord({ ...S.records[0]!, logical: 1.5 }))
  })
  it('names the field that ran short, and refuses trailing bytes', () => {
    refuses(
      () => new ByteReader(fromHex('0001'), 'thing').u32('count'),
      /thing: truncated at count \(offset 0\)/,
    )
    const rd = new ByteReader(fromHex('0102'), 'thing')
    rd.u8('a')
    refuses(() => rd.end(), /1 trailing bytes/)
  })
  it('refuses ill-formed UTF-8 and keeps a leading U+FEFF', () => {
    for (const bad of ['01ff', '02c328', '03eda080', '02c0af', '04f4908080'])
      refuses(() => new ByteReader(fromHex(bad), 's').str8('f'), /not valid UTF-8/)
    expect(new ByteReader(fromHex('06efbbbf616263'), 's').str8('f')).toBe('\uFEFFabc')
  })
  it('hex: lowercase out, either case in, refuses odd length and non-hex', () => {
    expect(toHex(fromHex('ABcd'))).toBe('abcd')
    refuses(() => fromHex('abc'))
    refuses(() => fromHex('zz'))
    refuses(() => fromHex('00', 'k', 2), /k: expected 2 bytes/)
  })
})
