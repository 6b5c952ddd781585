/**
 * Writes the shared test vectors. Run deliberately (`npx tsx firmware-bridge/vectors/generate.ts`) when the
 * protocol changes on purpose; the TS and C++ tests then check both codecs against the committed files, so an
 * accidental change to either codec shows up as a failing vector, not as a silently regenerated one.
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { concatBytes, toHex } from '../../core/bytes.ts'
import { cobsEncode } from '../cobs.ts'
import { crc16 } from '../crc.ts'
import { encodeBody, encodeFrame, encodePacket, frameFromPacket } from '../frame-codec.ts'
import { FrameDecoder } from '../frame-decoder.ts'
import type { DataFrame, Frame, HelloFrame } from '../frame-types.ts'

const dir = dirname(fileURLToPath(import.meta.url))
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'))
const withCrc = (body: Uint8Array): Uint8Array => {
  const c = crc16(body)
  return concatBytes(body, new Uint8Array([c >>> 8, c & 0xff]))
}

const hello: HelloFrame = {
  type: 'hello',
  boot: 0x1234,
  seq: 0,
  uptimeMs: 12,
  flags: 1,
  boardId: 'uno-1',
  firmware: '1.0.0',
  sensors: [{ name: 'temp', unit: '°C', exponent: -2 }],
}
const dataOne: DataFrame = {
  type: 'data',
  boot: 0x1234,
  seq: 1,
  uptimeMs: 1000,
  held: 0,
  samples: [{ sensor: 0, raw: 2512 }],
}
const longName = (i: number): string => `sensor-${String.fromCharCode(97 + i)}`.padEnd(21, 'x')

/**
 * A 254-byte packet with no zero byte at all: COBS writes code 0xFF, the 254 bytes, then a final code 0x01 (the
 * "254-byte run at the end" rule). The uptime is the first value without a zero byte for which the CRC has none.
 */
function hello254(): HelloFrame {
  const base: HelloFrame = {
    type: 'hello',
    boot: 0x0101,
    seq: 0x01010101,
    uptimeMs: 0x01010101,
    flags: 1,
    boardId: 'b'.repeat(32),
    firmware: 'f'.repeat(16),
    sensors: Array.from({ length: 7 }, (_, i) => ({
      name: longName(i),
      unit: i === 6 ? 'ab' : 'abc',
      exponent: -1,
    })),
  }
  for (let up = 0x01010101; ; up++) {
    const f = { ...base, uptimeMs: up }
    const p = encodePacket(f)
    if (p.length !== 254) throw new Error(`hello254: packet of ${p.length} bytes`)
    if (!p.includes(0)) return f
  }
}
const helloRun = hello254()
const run254 = encodePacket(helloRun)

const valid: { name: string; description: string; frame: Frame }[] = [
  { name: 'hello-minimal', description: 'HELLO at boot, one sensor with a UTF-8 unit', frame: hello },
  {
    name: 'hello-three-sensors',
    description: 'HELLO answering a request (flags 0), three sensors, exponents -2, -1, 0',
    frame: {
      type: 'hello',
      boot: 7,
      seq: 1000,
      uptimeMs: 65_000,
      flags: 0,
      boardId: 'greenhouse.uno-2',
      firmware: 'stele-0.1.0',
      sensors: [
        { name: 'temp', unit: '°C', exponent: -2 },
        { name: 'humidity', unit: '%', exponent: -1 },
        { name: 'door', unit: '', exponent: 0 },
      ],
    },
  },
  {
    name: 'hello-255-bytes',
    description: 'largest packet (255 bytes): COBS needs a 0xFF block code',
    frame: {
      type: 'hello',
      boot: 0x0101,
      seq: 0x01010101,
      uptimeMs: 0x01010101,
      flags: 1,
      boardId: 'b'.repeat(32),
      firmware: 'f'.repeat(16),
      sensors: Array.from({ length: 7 }, (_, i) => ({ name: longName(i), unit: 'abc', exponent: -1 })),
    },
  },
  {
    name: 'hello-254-byte-run',
    description: 'a 254-byte packet without a zero: COBS code 0xFF, the 254 bytes, then the final code 0x01',
    frame: helloRun,
  },
  {
    name: 'hello-unit-nbsp',
    description: 'unit U+00A0 (no-break space, c2 a0): the first code point after the C1 controls is allowed',
    frame: { ...hello, sensors: [{ name: 'temp', unit: '\u00a0C', exponent: -2 }] },
  },
  { name: 'data-one', description: 'one sample: temp raw 2512 (25.12 °C)', frame: dataOne },
  {
    name: 'data-three',
    description: 'three samples, a negative raw value and a zero (zeros exercise COBS)',
    frame: {
      type: 'data',
      boot: 7,
      seq: 1001,
      uptimeMs: 66_000,
      held: 3,
      samples: [
        { sensor: 0, raw: -512 },
        { sensor: 1, raw: 4531 },
        { sensor: 2, raw: 0 },
      ],
    },
  },
  {
    name: 'data-extremes',
    description: 'u32 seq and uptime at their maximum, held 255, i32 extremes',
    frame: {
      type: 'data',
      boot: 0xffff,
      seq: 0xffff_ffff,
      uptimeMs: 0xffff_ffff,
      held: 255,
      samples: [
        { sensor: 0, raw: -2147483648 },
        { sensor: 255, raw: 2147483647 },
      ],
    },
  },
  {
    name: 'data-32-samples',
    description: 'the maximum number of samples in one frame',
    frame: {
      type: 'data',
      boot: 1,
      seq: 2,
      uptimeMs: 3,
      held: 0,
      samples: Array.from({ length: 32 }, (_, i) => ({ sensor: i, raw: i * 1000 - 7 })),
    },
  },
  {
    name: 'ack',
    description: 'gateway acknowledges seq 41 of boot 0x1234',
    frame: { type: 'ack', boot: 0x1234, ackSeq: 41, flags: 2 },
  },
  {
    name: 'ack-hello-request',
    description: 'gateway asks for a HELLO and acknowledges nothing',
    frame: { type: 'ack', boot: 0, ackSeq: 0, flags: 1 },
  },
]

/** A frame of `body` with its CRC: the form of every invalid body below that must fail after the CRC passes. */
const checked = (body: Uint8Array): Uint8Array => frameFromPacket(withCrc(body))
const frameOne = encodeFrame(dataOne)
const damagedCrc = encodePacket(dataOne)
damagedCrc[damagedCrc.length - 1]! ^= 0x01
const body = encodeBody(dataOne)
const patched = (at: number, v: number): Uint8Array => {
  const b = body.slice()
  b[at] = v
  return checked(b)
}
const helloBadId = encodeBody({ ...hello, boardId: 'unoXX' })
helloBadId[helloBadId.indexOf(0x58)] = 0x20 // 'X' -> ' ': space is outside the id alphabet
const helloBadUtf8 = encodeBody(hello)
helloBadUtf8[helloBadUtf8.indexOf(0xc2)] = 0xc0 // '°' (c2 b0) -> c0 b0, an overlong encoding
const helloCtrlUnit = encodeBody({ ...hello, sensors: [{ name: 'temp', unit: 'C', exponent: 0 }] })
helloCtrlUnit[helloCtrlUnit.lastIndexOf(0x43)] = 0x07 // 'C' -> BEL
const helloDelUnit = encodeBody({ ...hello, sensors: [{ name: 'temp', unit: 'C', exponent: 0 }] })
helloDelUnit[helloDelUnit.lastIndexOf(0x43)] = 0x7f // 'C' -> DEL
const helloC1Unit = (second: number): Uint8Array => {
  const b = encodeBody(hello)
  b[b.indexOf(0xc2) + 1] = second // '°' (c2 b0) -> U+0080..U+009F
  return b
}
const dupSensor = encodeBody({
  ...dataOne,
  samples: [
    { sensor: 1, raw: 1 },
    { sensor: 2, raw: 2 },
  ],
})
dupSensor[dupSensor.length - 5] = 1 // second sample's index 2 -> 1
const oversizePacket = withCrc(
  concatBytes(encodeBody({ ...dataOne, samples: [{ sensor: 0, raw: 1 }] }), new Uint8Array(240).fill(7)),
)

const streams: { name: string; description: string; bytes: Uint8Array }[] = [
  {
    name: 'bad-crc',
    description: 'data-one with the CRC low byte flipped',
    bytes: frameFromPacket(damagedCrc),
  },
  {
    name: 'truncated',
    description: 'first 8 bytes of data-one, then a delimiter',
    bytes: concatBytes(frameOne.subarray(0, 8), hex('00')),
  },
  {
    name: 'truncated-then-valid',
    description: 'a truncated frame, the sync byte a board sends, then data-one',
    bytes: concatBytes(frameOne.subarray(0, 8), hex('00'), frameOne),
  },
  {
    name: 'garbage-then-valid',
    description: 'line noise without a zero, a sync byte, then data-one',
    bytes: concatBytes(hex('ff 13 37 42 99 01 fe'), hex('00'), frameOne),
  },
  {
    name: 'oversize-then-valid',
    description: '300 non-zero bytes (no delimiter), then data-one',
    bytes: concatBytes(new Uint8Array(300).fill(0x55), hex('00'), frameOne),
  },
  {
    name: 'oversize-packet',
    description: 'a correctly framed and checksummed packet of 257 bytes (limit 255)',
    bytes: concatBytes(cobsEncode(oversizePacket), hex('00')),
  },
  {
    name: 'oversize-by-one',
    description: 'a checksummed packet of 256 bytes whose COBS form (257 bytes) fits the receive buffer',
    bytes: concatBytes(
      cobsEncode(withCrc(concatBytes(body, new Uint8Array(256 - 2 - body.length).fill(9)))),
      hex('00'),
    ),
  },
  { name: 'bad-version', description: 'version 2 with a valid CRC', bytes: patched(0, 2) },
  { name: 'unknown-type', description: 'type 9 with a valid CRC', bytes: patched(1, 9) },
  { name: 'zero-samples', description: 'data frame declaring 0 samples', bytes: patched(13, 0) },
  {
    name: 'trailing-byte',
    description: 'data-one with one extra body byte and a valid CRC',
    bytes: checked(concatBytes(body, hex('00'))),
  },
  { name: 'hello-bad-board-id', description: 'board id with a space', bytes: checked(helloBadId) },
  {
    name: 'hello-bad-utf8',
    description: 'unit with an overlong UTF-8 sequence',
    bytes: checked(helloBadUtf8),
  },
  {
    name: 'hello-control-unit',
    description: 'unit containing a control character',
    bytes: checked(helloCtrlUnit),
  },
  { name: 'hello-del-unit', description: 'unit containing DEL (0x7f)', bytes: checked(helloDelUnit) },
  {
    name: 'hello-c1-first-unit',
    description: 'unit containing U+0080 (c2 80), the first C1 control',
    bytes: checked(helloC1Unit(0x80)),
  },
  {
    name: 'hello-c1-last-unit',
    description: 'unit containing U+009F (c2 9f), the last C1 control',
    bytes: checked(helloC1Unit(0x9f)),
  },
  {
    name: 'cobs-254-run-without-final-code',
    description: 'hello-254-byte-run without its final code 0x01: decodes to the same packet, a valid frame',
    bytes: concatBytes(hex('ff'), run254, hex('00')),
  },
  {
    name: 'cobs-254-run-cut',
    description: 'code 0xFF followed by only 253 bytes: the code points past the end',
    bytes: concatBytes(hex('ff'), run254.subarray(0, 253), hex('00')),
  },
  {
    name: 'cobs-254-run-bad-final-code',
    description: 'hello-254-byte-run with final code 0x02 instead of 0x01: the code points past the end',
    bytes: concatBytes(hex('ff'), run254, hex('02 00')),
  },
  {
    name: 'cobs-254-run-extra-code',
    description:
      'hello-254-byte-run with codes 01 01 after the run: a zero is appended; the CRC still checks (it always does for a valid packet followed by 0x00), the trailing body byte does not',
    bytes: concatBytes(hex('ff'), run254, hex('01 01 00')),
  },
  { name: 'duplicate-sensor', description: 'two samples for sensor 1', bytes: checked(dupSensor) },
  { name: 'short-packet', description: 'a 1-byte packet cannot hold a CRC', bytes: hex('02 05 00') },
  {
    name: 'bad-cobs',
    description: 'a code byte pointing past the end of the frame',
    bytes: hex('05 01 02 00'),
  },
  {
    name: 'sync-bytes-and-back-to-back',
    description:
      'empty frames (sync bytes) are ignored; two frames without a sync byte between them both decode',
    bytes: concatBytes(hex('00 00 00'), frameOne, encodeFrame({ type: 'ack', boot: 1, ackSeq: 2, flags: 2 })),
  },
]

const decode = (bytes: Uint8Array) => {
  const frames: Frame[] = []
  const d = new FrameDecoder({ onFrame: (f) => frames.push(f) })
  d.push(bytes)
  const { crcErrors, oversize, malformed } = d.stats
  return { frames, errors: { crc: crcErrors, oversize, malformed } }
}

const validOut = valid.map((v) => {
  const bytes = encodeFrame(v.frame)
  return {
    name: v.name,
    description: v.description,
    frame: v.frame,
    hex: toHex(bytes),
    packetHex: toHex(encodePacket(v.frame)),
  }
})
const streamOut = streams.map((s) => ({
  name: s.name,
  description: s.description,
  hex: toHex(s.bytes),
  ...decode(s.bytes),
}))

writeFileSync(join(dir, 'valid.json'), `${JSON.stringify(validOut, null, 2)}\n`)
writeFileSync(join(dir, 'streams.json'), `${JSON.stringify(streamOut, null, 2)}\n`)
console.log(`${validOut.length} valid vectors, ${streamOut.length} stream vectors`)
