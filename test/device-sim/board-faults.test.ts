import { describe, expect, it } from 'vitest'
import { concatBytes } from '../../core/bytes.ts'
import type { Timers } from '../../core/timers.ts'
import { createLineFaults, scheduleBoardFaults } from '../../device-sim/faults.ts'
import { createRandom } from '../../device-sim/random.ts'
import { encodeFrame } from '../../firmware-bridge/frame-codec.ts'
import { FrameDecoder } from '../../firmware-bridge/frame-decoder.ts'
import type { Frame } from '../../firmware-bridge/frame-types.ts'

const frame = (seq: number) =>
  encodeFrame({ type: 'data', boot: 1, seq, uptimeMs: seq, held: 0, samples: [{ sensor: 0, raw: seq * 3 }] })

function decode(parts: Uint8Array[]) {
  const frames: Frame[] = []
  const d = new FrameDecoder({ onFrame: (f) => frames.push(f) })
  d.push(concatBytes(...parts))
  return { frames, stats: d.stats }
}

/** A clock the test advances by hand: timers fire in due order, no real time passes. */
function manualTimers(): Timers & { advance(ms: number): Promise<void> } {
  let now = 0
  let id = 0
  const due = new Map<number, { at: number; fn: () => void }>()
  return {
    now: () => now,
    set: (fn, ms) => {
      due.set(++id, { at: now + ms, fn })
      return id
    },
    clear: (h) => void due.delete(h as number),
    async advance(ms) {
      const end = now + ms
      for (;;) {
        const next = [...due.entries()].sort((a, b) => a[1].at - b[1].at)[0]
        if (!next || next[1].at > end) break
        due.delete(next[0])
        now = next[1].at
        next[1].fn()
        await new Promise((r) => setImmediate(r))
      }
      now = end
    },
  }
}

describe('line faults', () => {
  it('each kind damages only its own frame, and the decoder counts it', () => {
    for (const kind of ['corruptCrc', 'bitFlip', 'truncate'] as const) {
      const faults = createLineFaults({ [kind]: 1 }, createRandom(1))
      const out = Array.from({ length: 20 }, (_, i) => faults.apply(frame(i)))
      expect(out.every((o) => !o.intact)).toBe(true)
      // Each damaged frame is followed by an intact one: it must survive its neighbour's damage.
      const parts = out.flatMap((o, i) => [...o.bytes, new Uint8Array([0]), frame(100 + i)])
      const { frames, stats } = decode(parts)
      expect(frames.map((f) => (f.type === 'data' ? f.seq : -1))).toEqual(
        Array.from({ length: 20 }, (_, i) => 100 + i),
      )
      expect(stats.crcErrors + stats.malformed + stats.oversize).toBe(20)
      if (kind === 'corruptCrc') expect(stats.crcErrors).toBe(20)
      expect(faults.counts[kind]).toBe(20)
    }
  })

  it('noise, noise bursts and duplicates leave the frame intact and decodable', () => {
    const faults = createLineFaults({ noise: 1, noiseBurst: 1, duplicate: 1 }, createRandom(2))
    const out = Array.from({ length: 10 }, (_, i) => faults.apply(frame(i)))
    expect(out.every((o) => o.intact)).toBe(true)
    const { frames, stats } = decode(out.flatMap((o) => o.bytes))
    expect(frames.map((f) => (f.type === 'data' ? f.seq : -1))).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9,
    ])
    expect(stats.oversize).toBeGreaterThanOrEqual(10)
  })
})

describe('scheduleBoardFaults', () => {
  it('resets, bursts, drifts and unplugs/replugs on the injected clock, and stops', async () => {
    const timers = manualTimers()
    const calls: string[] = []
    const board = {
      reboot: () => calls.push('reboot'),
      burst: (n: number) => calls.push(`burst ${n}`),
      setDrift: (ppm: number) => calls.push(`drift ${ppm}`),
    }
    let path: string | null = 'p0'
    const plug = {
      get path() {
        return path
      },
      unplug: async () => {
        calls.push('unplug')
        path = null
      },
      plug: async (name?: string) => {
        calls.push(`plug ${name}`)
        path = name ?? 'p'
        return path
      },
    }
    const stop = scheduleBoardFaults(
      board,
      {
        resetEveryMs: 1000,
        burstEveryMs: 1000,
        burstFrames: 5,
        driftPpm: 200,
        unplug: { everyMs: 2000, forMs: 300, plug, name: 'b' },
      },
      createRandom(3),
      timers,
    )
    await timers.advance(10_000)
    stop()
    const n = calls.length
    await timers.advance(10_000)
    expect(calls.length).toBe(n)
    expect(calls[0]).toBe('drift 200')
    expect(calls.filter((c) => c === 'reboot').length).toBeGreaterThanOrEqual(5)
    expect(calls.filter((c) => c === 'burst 5').length).toBeGreaterThanOrEqual(5)
    expect(calls.filter((c) => c === 'unplug').length).toBeGreaterThanOrEqual(2)
    expect(calls).toContain('plug b-2')
  })
})
