import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concatBytes } from '../../core/bytes.ts'
import { encodeFrame } from '../../firmware-bridge/frame-codec.ts'
import { FrameDecoder } from '../../firmware-bridge/frame-decoder.ts'
import type { Frame } from '../../firmware-bridge/frame-types.ts'

const u16 = fc.integer({ min: 0, max: 0xffff })
const u32 = fc.integer({ min: 0, max: 0xffff_ffff })
const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,16}$/)

const dataFrame: fc.Arbitrary<Frame> = fc.record({
  type: fc.constant('data' as const),
  boot: u16,
  seq: u32,
  uptimeMs: u32,
  held: fc.integer({ min: 0, max: 255 }),
  samples: fc
    .uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 32 })
    .chain((idx) =>
      fc.tuple(
        ...idx.map((sensor) =>
          fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }).map((raw) => ({ sensor, raw })),
        ),
      ),
    ),
})
const helloFrame: fc.Arbitrary<Frame> = fc.record({
  type: fc.constant('hello' as const),
  boot: u16,
  seq: u32,
  uptimeMs: u32,
  flags: fc.integer({ min: 0, max: 255 }),
  boardId: id,
  firmware: fc.stringMatching(/^[ -~]{0,16}$/),
  sensors: fc.array(
    fc.record({
      name: id,
      unit: fc.constantFrom('', '°C', '%', 'lx', 'hPa'),
      exponent: fc.integer({ min: -12, max: 12 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
})
const ackFrame: fc.Arbitrary<Frame> = fc.record({
  type: fc.constant('ack' as const),
  boot: u16,
  ackSeq: u32,
  flags: fc.integer({ min: 0, max: 255 }),
})
const anyFrame = fc.oneof(dataFrame, helloFrame, ackFrame)
const garbage = fc.uint8Array({ minLength: 0, maxLength: 400 })

/** Splits bytes at arbitrary points: a serial port delivers whatever the OS buffered. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let at = 0
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p))
    at = p
  }
  return out
}

describe('FrameDecoder properties', () => {
  it('recovers every frame, in order, whatever garbage precedes each sync byte, however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbage, anyFrame), { minLength: 1, maxLength: 12 }),
        garbage,
        fc.array(fc.nat(), { maxLength: 20 }),
        (items, tail, cuts) => {
          // Boards send a 0x00 before each frame, so garbage can never swallow the frame that follows it.
          const stream = concatBytes(
            ...items.flatMap(([g, f]) => [g, new Uint8Array([0]), encodeFrame(f)]),
            tail,
          )
          const got: Frame[] = []
          const d = new FrameDecoder({ onFrame: (f) => got.push(f) })
          for (const c of chunked(stream, cuts)) d.push(c)
          expect(got).toEqual(items.map(([, f]) => f))
          expect(d.stats.bytes).toBe(stream.length)
        },
      ),
      { numRuns: 300, seed: 0x57e1e },
    )
  })

  it('never throws and emits only frames that re-encode to bytes present in the input', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const input = Buffer.concat(chunks)
        const d = new FrameDecoder({
          // A frame out of random bytes would need a matching CRC; if one appears it must be real bytes of input.
          onFrame: (f) => expect(input.includes(Buffer.from(encodeFrame(f)))).toBe(true),
        })
        for (const c of chunks) d.push(c)
        const s = d.stats
        expect(s.bytes).toBe(input.length)
      }),
      { numRuns: 500, seed: 42 },
    )
  })

  it('counts every corrupted frame and delivers none of them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(dataFrame, fc.boolean(), fc.nat()), { minLength: 1, maxLength: 20 }),
        (items) => {
          const parts: Uint8Array[] = []
          const expected: Frame[] = []
          let corrupted = 0
          for (const [f, corrupt, where] of items) {
            const bytes = encodeFrame(f).slice()
            if (corrupt) {
              // Flip one bit of one non-delimiter byte, keeping it non-zero so the framing stays intact.
              const at = where % (bytes.length - 1)
              const flipped = bytes[at]! ^ (1 << (where % 8))
              bytes[at] = flipped === 0 ? bytes[at]! ^ 0x80 : flipped
              corrupted++
            } else expected.push(f)
            parts.push(new Uint8Array([0]), bytes)
          }
          const got: Frame[] = []
          const d = new FrameDecoder({ onFrame: (f) => got.push(f) })
          d.push(concatBytes(...parts))
          expect(got).toEqual(expected)
          expect(d.stats.crcErrors + d.stats.malformed + d.stats.oversize).toBe(corrupted)
        },
      ),
      { numRuns: 300, seed: 7 },
    )
  })
})
