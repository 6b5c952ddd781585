import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8 } from '../../core/bytes.ts'
import { encodeFrame } from '../../firmware-bridge/frame-codec.ts'
import { FrameDecoder } from '../../firmware-bridge/frame-decoder.ts'
import type { DataFrame, Frame, HelloFrame } from '../../firmware-bridge/frame-types.ts'
import streams from '../../firmware-bridge/vectors/streams.json' with { type: 'json' }
import valid from '../../firmware-bridge/vectors/valid.json' with { type: 'json' }

const run = promisify(execFile)
const root = join(import.meta.dirname, '../..')
const arduino = join(root, 'firmware-bridge/arduino')
// CI installs g++; a missing compiler must fail this test rather than skip it, or the C++ side could drift.
const flags = ['-std=c++17', '-Wall', '-Wextra', '-Werror', `-I${arduino}`]

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stele-cpp-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const str = (s: string): string => (s === '' ? '-' : toHex(utf8(s)))

/** One vector frame as the whitespace-separated tokens host_test.cpp reads. */
function tokens(f: Frame): string {
  if (f.type === 'ack') return `A ${f.boot} ${f.ackSeq} ${f.flags}`
  if (f.type === 'data')
    return `D ${f.boot} ${f.seq} ${f.uptimeMs} ${f.held} ${f.samples.length} ${f.samples.map((s) => `${s.sensor} ${s.raw}`).join(' ')}`
  const sensors = f.sensors.map((s) => `${str(s.name)} ${str(s.unit)} ${s.exponent}`).join(' ')
  return `H ${f.boot} ${f.seq} ${f.uptimeMs} ${f.flags} ${str(f.boardId)} ${str(f.firmware)} ${f.sensors.length} ${sensors}`
}

function runWithInput(exe: string, input: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    p.on('error', reject)
    p.on('close', (code) => resolve({ code, out }))
    p.stdin.end(input)
  })
}

describe('C++ codec (stele_frame.h) against the shared vectors', () => {
  it('compiles as C++11 (what the Arduino toolchain uses) without warnings', async () => {
    await run('g++', [
      '-std=c++11',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fsyntax-only',
      '-x',
      'c++',
      join(arduino, 'stele_frame.h'),
    ])
  })

  it('encodes every valid vector to exactly its bytes and decodes every stream vector like the TS decoder', async () => {
    const exe = join(dir, 'host_test')
    await run('g++', [...flags, '-o', exe, join(arduino, 'host_test.cpp')])
    const lines = [
      ...valid.map((v) => `V ${v.name} ${v.hex} ${tokens(v.frame as Frame)}`),
      ...streams.map(
        (s) =>
          `S ${s.name} ${s.hex} ${s.frames.length} ${(s.frames as Frame[]).map(tokens).join(' ')} ${s.errors.crc} ${s.errors.oversize} ${s.errors.malformed}`,
      ),
    ]
    const { code, out } = await runWithInput(exe, `${lines.join('\n')}\n`)
    expect(out).toBe(`ok ${lines.length}\n`)
    expect(code).toBe(0)
  })
})

describe('stele_board.ino on the host (stub Arduino core, scripted time)', () => {
  let built: Promise<string> | undefined
  const sketch = (): Promise<string> => {
    built ??= (async () => {
      const exe = join(dir, 'sketch')
      const stub = join(root, 'test/firmware-bridge/arduino-host')
      await run('g++', [
        ...flags,
        `-I${join(arduino, 'stele_board')}`,
        `-I${stub}`,
        '-x',
        'c++',
        '-o',
        exe,
        join(stub, 'sketch_host.cpp'),
      ])
      return exe
    })()
    return built
  }
  /** Runs a script and decodes what the board sent at each `dump`. */
  async function sketchSteps(script: string[]): Promise<Frame[][]> {
    const { code, out } = await runWithInput(await sketch(), `${script.join('\n')}\n`)
    expect(code).toBe(0)
    return out
      .trim()
      .split('\n')
      .map((l) => {
        const frames: Frame[] = []
        const d = new FrameDecoder({ onFrame: (f) => frames.push(f) })
        const hex = l.slice(3)
        if (hex !== '-') d.push(fromHex(hex))
        expect(d.stats.crcErrors + d.stats.malformed + d.stats.oversize).toBe(0)
        return frames
      })
  }
  const seqs = (fs: Frame[]) => fs.map((f) => (f.type === 'data' ? `${f.seq}/${f.held}` : f.type))

  it('protocol-serial §3: ACKs of another boot release nothing, a resend carries the held of the moment, the timer restarts only on progress', async () => {
    const ack = (boot: number, ackSeq: number, f: number) =>
      `rx ${toHex(encodeFrame({ type: 'ack', boot, ackSeq, flags: f }))}`
    const s = await sketchSteps([
      'run 10',
      'dump', // HELLO at boot: the first sequence of the boot is 0
      'run 1990',
      'dump', // t=2000: 0/0 (t=1000, into an empty ring: timer starts), 1/1 (into a non-empty ring: it does not)
      ack(2, 1, 3), // another boot, HELLO requested: the HELLO is sent, frames 0 and 1 stay held
      'run 1',
      'dump',
      ack(1, 0, 2), // releases frame 0 at t=2002: the timer restarts
      'run 1598',
      'dump', // t=3600: 2/1 at t=3000 (no restart), then at t=3502 the resend 1/0 2/1: held as of now
      ack(1, 0, 2), // releases nothing at t=3600: no restart, the resend at 3502 started the timer
      'run 1450',
      'dump', // t=5050: 3/2 at 4000, 4/3 at 5000, then the resend of all four at 5002
    ])
    expect(s[0]).toEqual([expect.objectContaining({ type: 'hello', boot: 1, seq: 0, flags: 1 })])
    expect(seqs(s[1]!)).toEqual(['0/0', '1/1'])
    expect(s[2]).toEqual([expect.objectContaining({ type: 'hello', boot: 1, seq: 0, flags: 0 })])
    expect(seqs(s[3]!)).toEqual(['2/1', '1/0', '2/1'])
    expect(seqs(s[4]!)).toEqual(['3/2', '4/3', '1/0', '2/1', '3/2', '4/3'])
  })

  it('sends HELLO at boot, a DATA frame per interval, resends until acked, answers HELLO requests', async () => {
    const ack = (ackSeq: number, f: number) => toHex(encodeFrame({ type: 'ack', boot: 1, ackSeq, flags: f }))
    const runSteps = (script: string) => sketchSteps(script.split('\n'))
    const script = [
      'pin 14 512',
      'pin 15 100',
      'pin 2 1',
      'run 10',
      'dump', // HELLO at boot
      'run 1990',
      'dump', // seq 0 at t=1000, seq 1 at t=2000
      'run 500',
      'dump', // t=2500: 1.5 s without progress: resend 0 and 1
      `rx ${ack(1, 2)}`,
      'run 1900',
      'dump', // seq 2 and 3, nothing resent
      `rx ${ack(2, 3)}`,
      'run 1',
      'dump', // HELLO answering the request: oldest held is 3
    ].join('\n')
    const steps = await runSteps(script)
    const hello = steps[0]![0] as HelloFrame
    expect(hello).toMatchObject({ type: 'hello', boot: 1, seq: 0, flags: 1, boardId: 'uno-1' })
    expect(hello.sensors.map((s) => `${s.name}:${s.unit}:${s.exponent}`)).toEqual([
      'temp:°C:-2',
      'light:raw:0',
      'door::0',
    ])
    expect(seqs(steps[1]!)).toEqual(['0/0', '1/1'])
    expect((steps[1]![0] as DataFrame).samples).toEqual([
      { sensor: 0, raw: 25000 }, // 512 × 50000 / 1024 centi-degrees
      { sensor: 1, raw: 100 },
      { sensor: 2, raw: 1 },
    ])
    expect(seqs(steps[2]!)).toEqual(['0/0', '1/1'])
    expect(seqs(steps[3]!)).toEqual(['2/0', '3/1'])
    expect(steps[4]).toEqual([expect.objectContaining({ type: 'hello', flags: 0, seq: 3 })])
  })
})
