import { describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8 } from '../../core/bytes.ts'
import { cobsDecodeInto, cobsEncode } from '../../firmware-bridge/cobs.ts'
import { crc16 } from '../../firmware-bridge/crc.ts'
import { encodeFrame, encodePacket } from '../../firmware-bridge/frame-codec.ts'
import { FrameDecoder } from '../../firmware-bridge/frame-decoder.ts'
import type { Frame } from '../../firmware-bridge/frame-types.ts'
import streams from '../../firmware-bridge/vectors/streams.json' with { type: 'json' }
import valid from '../../firmware-bridge/vectors/valid.json' with { type: 'json' }

function decodeAll(bytes: Uint8Array) {
  const frames: Frame[] = []
  const d = new FrameDecoder({ onFrame: (f) => frames.push(f) })
  d.push(bytes)
  return { frames, stats: d.stats }
}

describe('crc16 (CRC-16/CCITT-FALSE)', () => {
  it('has the catalogue check value', () => {
    expect(crc16(utf8('123456789'))).toBe(0x29b1)
    expect(crc16(new Uint8Array(0))).toBe(0xffff)
  })
})

describe('cobs', () => {
  it('matches the examples of the COBS paper', () => {
    expect(toHex(cobsEncode(fromHex('00')))).toBe('0101')
    expect(toHex(cobsEncode(fromHex('0000')))).toBe('010101')
    expect(toHex(cobsEncode(fromHex('11220033')))).toBe('0311220233')
    expect(toHex(cobsEncode(fromHex('11223344')))).toBe('0511223344')
    const run = new Uint8Array(254).fill(1)
    expect(toHex(cobsEncode(run))).toBe(`ff${'01'.repeat(254)}01`)
  })
  it('rejects a code past the end and a zero inside', () => {
    const dst = new Uint8Array(10)
    expect(cobsDecodeInto(fromHex('0511'), 0, 2, dst)).toBe(-1)
    expect(cobsDecodeInto(fromHex('030011'), 0, 3, dst)).toBe(-1)
    expect(cobsDecodeInto(fromHex('0c0102030405060708090a0b'), 0, 12, dst)).toBe(-2)
  })
})

describe('valid vectors', () => {
  for (const v of valid) {
    it(`${v.name}: encodes to the vector bytes and decodes back`, () => {
      const frame = v.frame as Frame
      expect(toHex(encodePacket(frame))).toBe(v.packetHex)
      expect(toHex(encodeFrame(frame))).toBe(v.hex)
      const { frames, stats } = decodeAll(fromHex(v.hex))
      expect(frames).toEqual([frame])
      expect(stats).toMatchObject({ frames: 1, crcErrors: 0, oversize: 0, malformed: 0 })
    })
  }

  it('decodes every vector fed one byte at a time', () => {
    const frames: Frame[] = []
    const d = new FrameDecoder({ onFrame: (f) => frames.push(f) })
    for (const v of valid) for (const b of fromHex(v.hex)) d.push(new Uint8Array([b]))
    expect(frames).toEqual(valid.map((v) => v.frame))
  })
})

describe('stream vectors (invalid, truncated, garbage, oversize)', () => {
  for (const s of streams) {
    it(`${s.name}: ${s.description}`, () => {
      const { frames, stats } = decodeAll(fromHex(s.hex))
      expect(frames).toEqual(s.frames)
      expect({ crc: stats.crcErrors, oversize: stats.oversize, malformed: stats.malformed }).toEqual(s.errors)
    })
  }
})

describe('encoder guards', () => {
  const base: Frame = {
    type: 'data',
    boot: 1,
    seq: 1,
    uptimeMs: 1,
    held: 0,
    samples: [{ sensor: 0, raw: 1 }],
  }
  it.each([
    ['boot out of range', { ...base, boot: 0x10000 }],
    ['negative seq', { ...base, seq: -1 }],
    ['no samples', { ...base, samples: [] }],
    ['raw beyond i32', { ...base, samples: [{ sensor: 0, raw: 2 ** 31 }] }],
    [
      'duplicate sensor',
      {
        ...base,
        samples: [
          { sensor: 0, raw: 1 },
          { sensor: 0, raw: 2 },
        ],
      },
    ],
    [
      'bad board id',
      {
        type: 'hello',
        boot: 1,
        seq: 0,
        uptimeMs: 0,
        flags: 0,
        boardId: 'a b',
        firmware: '',
        sensors: [{ name: 't', unit: '', exponent: 0 }],
      },
    ],
    [
      'exponent',
      {
        type: 'hello',
        boot: 1,
        seq: 0,
        uptimeMs: 0,
        flags: 0,
        boardId: 'a',
        firmware: '',
        sensors: [{ name: 't', unit: '', exponent: 13 }],
      },
    ],
  ] as [string, Frame][])('throws STELE_BAD_ENCODING on %s', (_, frame) => {
    expect(() => encodeFrame(frame)).toThrow(expect.objectContaining({ code: 'STELE_BAD_ENCODING' }))
  })
})
