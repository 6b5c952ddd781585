// Serial frame decoder throughput (COBS + CRC-16 + parse, firmware-bridge/frame-decoder.ts) on a stream of
// typical DATA frames, beside a raw Buffer.indexOf(0) split of the same bytes in the same run: the ceiling
// of any 0x00-delimited framing in JavaScript. Also: how many boards at 115200 baud one core could decode.
//   node --import tsx bench/frame-decoder.bench.ts [--quick]

import { createRandom } from '../device-sim/random.ts'
import { encodeFrame } from '../firmware-bridge/frame-codec.ts'
import { FrameDecoder } from '../firmware-bridge/frame-decoder.ts'
import type { Frame } from '../firmware-bridge/frame-types.ts'
import { printTable } from './table.ts'

const quick = process.argv.includes('--quick')
const FRAMES = quick ? 20_000 : 100_000
const ROUNDS = quick ? 3 : 7
const random = createRandom(1)

/** A board's stream: a sync byte then a DATA frame of three samples, as stele_board.ino sends them. */
function buildStream(): { bytes: Buffer; frames: number } {
  const parts: Uint8Array[] = []
  for (let seq = 0; seq < FRAMES; seq++) {
    const f: Frame = {
      type: 'data',
      boot: 7,
      seq,
      uptimeMs: seq * 1000,
      held: seq % 4,
      samples: [
        { sensor: 0, raw: 2000 + Math.floor(random() * 500) },
        { sensor: 1, raw: 500 + Math.floor(random() * 100) },
        { sensor: 2, raw: random() < 0.5 ? 0 : 1 },
      ],
    }
    parts.push(new Uint8Array([0]), encodeFrame(f))
  }
  return { bytes: Buffer.concat(parts), frames: FRAMES }
}

/** Best of `ROUNDS` runs, in bytes per second. */
function best(run: () => number, bytes: number, expectFrames: number): number {
  let bestBps = 0
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now()
    const n = run()
    const s = (performance.now() - t0) / 1000
    if (n !== expectFrames) throw new Error(`expected ${expectFrames} frames, got ${n}`)
    bestBps = Math.max(bestBps, bytes / s)
  }
  return bestBps
}

function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size))
  return out
}

const { bytes, frames } = buildStream()
// What serialport hands over: small reads from a UART, bigger ones from a pty under load.
const small = chunks(bytes, 64)
const large = chunks(bytes, 65_536)

function decode(parts: Buffer[]): number {
  let n = 0
  const d = new FrameDecoder({
    onFrame: () => {
      n++
    },
  })
  for (const p of parts) d.push(p)
  return n
}

/** The ceiling: split on 0x00 with Buffer.indexOf, touching each frame once (no COBS, CRC or parse). */
function split(parts: Buffer[]): number {
  let n = 0
  let carry = 0
  for (const p of parts) {
    let start = 0
    for (let z = p.indexOf(0, start); z !== -1; z = p.indexOf(0, start)) {
      if (z - start + carry > 0) n++
      carry = 0
      start = z + 1
    }
    carry += p.length - start
  }
  return n
}

const MB = 1024 * 1024
const decSmall = best(() => decode(small), bytes.length, frames)
const splitSmall = best(() => split(small), bytes.length, frames)
const decLarge = best(() => decode(large), bytes.length, frames)
const splitLarge = best(() => split(large), bytes.length, frames)
const frameBytes = bytes.length / frames
const UART = 115_200 / 10 // bytes per second on the wire

printTable(
  `Serial frame decoder: ${frames.toLocaleString('en-US')} DATA frames of ${frameBytes.toFixed(1)} bytes (sync byte included)`,
  [
    {
      benchmark: 'decode, 64-byte reads (MB/s)',
      stele: decSmall / MB,
      ceiling: splitSmall / MB,
      target: 'indexOf split, same reads',
    },
    {
      benchmark: 'decode, 64 KB reads (MB/s)',
      stele: decLarge / MB,
      ceiling: splitLarge / MB,
      target: 'indexOf split, same reads',
    },
    {
      benchmark: 'frames/s, 64-byte reads',
      stele: decSmall / frameBytes,
      ceiling: splitSmall / frameBytes,
      target: 'indexOf split',
    },
    {
      benchmark: 'boards at 115200 baud per core',
      stele: decSmall / UART,
      ceiling: splitSmall / UART,
      target: 'wire-speed boards',
    },
  ],
)
