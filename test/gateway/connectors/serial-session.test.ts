import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Reading } from '../../../core/reading.ts'
import type { DataFrame, HelloFrame } from '../../../firmware-bridge/frame-types.ts'
import { readingsOf, SerialDelivery } from '../../../gateway/connectors/serial/serial-delivery.ts'
import { BoardSession } from '../../../gateway/connectors/serial/serial-session.ts'

const hello = (boot: number, seq: number): HelloFrame => ({
  type: 'hello',
  boot,
  seq,
  uptimeMs: 0,
  flags: 0,
  boardId: 'b',
  firmware: '',
  sensors: [{ name: 't', unit: '', exponent: 0 }],
})
/** By default the board still holds every frame since seq 0 (nothing acknowledged yet). */
const data = (boot: number, seq: number, held = Math.min(seq, 255)): DataFrame => ({
  type: 'data',
  boot,
  seq,
  uptimeMs: seq,
  held,
  samples: [{ sensor: 0, raw: seq }],
})

function feed(s: BoardSession, frames: DataFrame[]): number[] {
  const out: DataFrame[] = []
  for (const f of frames) s.onData(f, out)
  return out.map((f) => f.seq)
}

describe('BoardSession', () => {
  it('needs a HELLO before it accepts anything, then accepts from the announced sequence', () => {
    const s = new BoardSession('b')
    expect(s.onData(data(1, 0), [])).toBe('unknown-boot')
    expect(s.onHello(hello(1, 5), [])).toBe(true)
    expect(feed(s, [data(1, 5), data(1, 6), data(2, 7)])).toEqual([5, 6])
  })

  it('buffers frames after a gap and delivers them when the resend fills it', () => {
    const s = new BoardSession('b')
    s.onHello(hello(1, 0), [])
    expect(feed(s, [data(1, 0), data(1, 2, 2), data(1, 3, 3)])).toEqual([0])
    expect(s.buffered).toBe(2)
    expect(feed(s, [data(1, 1, 1), data(1, 2, 2), data(1, 3, 3)])).toEqual([1, 2, 3])
    expect(s.duplicates).toBe(2)
  })

  it('skips what the board no longer holds and counts it lost', () => {
    const s = new BoardSession('b')
    s.onHello(hello(1, 0), [])
    // seq 10 with held 2: the board's oldest is 8, so 0..7 will never come.
    expect(feed(s, [data(1, 10, 2), data(1, 8, 0), data(1, 9, 1)])).toEqual([8, 9, 10])
    expect(s.lost).toBe(8)
  })

  it('a new boot restarts the sequence; rollback replays from the last durable frame', () => {
    const s = new BoardSession('b')
    s.onHello(hello(1, 0), [])
    feed(s, [data(1, 0), data(1, 1), data(1, 2)])
    s.commit(1, 0)
    s.rollback(1)
    expect(feed(s, [data(1, 1), data(1, 2)])).toEqual([1, 2])
    expect(s.onHello(hello(2, 0), [])).toBe(true)
    expect(s.reboots).toBe(1)
    expect(feed(s, [data(2, 0), data(2, 1)])).toEqual([0, 1])
  })

  it('works across the u32 wrap', () => {
    const s = new BoardSession('b')
    s.onHello(hello(1, 0xffff_fffe), [])
    expect(feed(s, [data(1, 0xffff_fffe, 0), data(1, 0, 2), data(1, 0xffff_ffff, 1)])).toEqual([
      0xffff_fffe, 0xffff_ffff, 0,
    ])
  })

  it('whatever order, duplication and loss the line causes, delivers each frame once and in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 200 }),
        (n, noise) => {
          const s = new BoardSession('b')
          s.onHello(hello(1, 0), [])
          // The line delivers a scrambled, duplicated, lossy subset, then the board resends everything in order.
          const scrambled = noise.filter(([, keep]) => keep).map(([i]) => data(1, i % n))
          const resend = Array.from({ length: n }, (_, i) => data(1, i))
          const got = feed(s, [...scrambled, ...resend])
          expect(got).toEqual(resend.map((f) => f.seq))
        },
      ),
      { numRuns: 300, seed: 11 },
    )
  })
})

describe('a DATA sample whose sensor index is past the HELLO list (protocol-serial §3)', () => {
  const twoSensors: HelloFrame = {
    ...hello(1, 0),
    sensors: [
      { name: 't', unit: '', exponent: 0 },
      { name: 'h', unit: '', exponent: 0 },
    ],
  }
  const frame = (second: number): DataFrame => ({
    type: 'data',
    boot: 1,
    seq: 0,
    uptimeMs: 0,
    held: 0,
    samples: [
      { sensor: 0, raw: 21 },
      { sensor: second, raw: 48 },
    ],
  })

  it('makes the frame malformed as a whole: nothing stored, nothing acknowledged; the intact resend is stored whole', async () => {
    const stored: Reading[] = []
    let acks = 0
    const s = new BoardSession('b')
    const delivery = new SerialDelivery(
      { push: async (r) => void stored.push(...r) },
      { durable: () => acks++, failed: () => {} },
    )
    // As the port worker does: classify, then hand what is ready to the delivery.
    const receive = (f: DataFrame): string => {
      const ready: DataFrame[] = []
      const verdict = s.onData(f, ready)
      for (const r of ready) delivery.add(s, r, readingsOf(s, r).readings)
      return verdict
    }
    s.onHello(twoSensors, [])

    expect(receive(frame(2))).toBe('malformed')
    await delivery.idle
    expect(stored).toEqual([])
    expect(acks).toBe(0)
    expect(s.durable).toBeNull()
    expect(s.malformed).toBe(1)

    expect(receive(frame(1))).toBe('accept')
    await delivery.idle
    expect(stored.map((r) => [r.sensor, r.value])).toEqual([
      ['t', 21],
      ['h', 48],
    ])
    expect(s.durable).toBe(0)
  })

  it('does not let the malformed frame move the sequence: its held is ignored too', () => {
    const s = new BoardSession('b')
    s.onHello(twoSensors, [])
    expect(s.onData({ ...frame(9), seq: 5, held: 0 }, [])).toBe('malformed')
    expect(s.lost).toBe(0)
    expect(s.expected).toBe(0)
  })
})
