import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareHlc, createHlc, type HlcTimestamp } from '../../gateway/hlc.ts'

describe('hybrid logical clock', () => {
  it('follows the wall clock while it moves forward', () => {
    let wall = 1_000
    const hlc = createHlc({ now: () => wall })
    expect(hlc.next()).toEqual({ time: 1_000, logical: 0 })
    expect(hlc.next()).toEqual({ time: 1_000, logical: 1 })
    wall = 1_005
    expect(hlc.next()).toEqual({ time: 1_005, logical: 0 })
  })

  it('keeps its time and counts when the wall clock is stepped back', () => {
    let wall = 5_000
    const hlc = createHlc({ now: () => wall })
    hlc.next()
    wall = 1_000 // NTP step back by four seconds
    expect(hlc.next()).toEqual({ time: 5_000, logical: 1 })
    expect(hlc.next()).toEqual({ time: 5_000, logical: 2 })
    wall = 5_001
    expect(hlc.next()).toEqual({ time: 5_001, logical: 0 })
  })

  it('never goes backwards for any sequence of wall readings, across restarts (property)', () => {
    const step = fc.record({
      wall: fc.integer({ min: 1, max: 2_000_000_000_000 }),
      restart: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 200 }), (steps) => {
        let wall = 0
        let persisted: HlcTimestamp | undefined
        let hlc = createHlc({ now: () => wall })
        let prev: HlcTimestamp | undefined
        for (const s of steps) {
          wall = s.wall
          if (s.restart) hlc = createHlc({ now: () => wall, seed: persisted }) // seeded from the high-water mark
          const ts = hlc.next()
          if (prev) expect(compareHlc(ts, prev)).toBeGreaterThan(0)
          // and it is the wall clock itself whenever the wall clock is ahead
          if (!prev || wall > prev.time) expect(ts).toEqual({ time: wall, logical: 0 })
          expect(Number.isSafeInteger(ts.logical) && ts.logical >= 0 && ts.logical <= 0xffff_ffff).toBe(true)
          prev = ts
          persisted = hlc.last()
        }
      }),
      { numRuns: 300, seed: 20_240_601 },
    )
  })

  it('moves one millisecond ahead rather than overflow the u32 counter', () => {
    const hlc = createHlc({ now: () => 10, seed: { time: 10, logical: 0xffff_ffff } })
    expect(hlc.next()).toEqual({ time: 11, logical: 0 })
  })

  it('observe() raises the high-water mark', () => {
    const hlc = createHlc({ now: () => 10 })
    hlc.observe({ time: 50, logical: 3 })
    expect(hlc.next()).toEqual({ time: 50, logical: 4 })
    hlc.observe({ time: 20, logical: 0 })
    expect(hlc.last()).toEqual({ time: 50, logical: 4 })
  })
})
