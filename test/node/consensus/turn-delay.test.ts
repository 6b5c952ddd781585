import { describe, expect, it } from 'vitest'
import { toHex } from '../../../core/bytes.ts'
import { applyHeaders } from '../../../node/consensus/apply-header.ts'
import { inTurnProducer } from '../../../node/consensus/snapshot.ts'
import { sealDelay, seededWiggle } from '../../../node/consensus/turn-delay.ts'
import { build, by, keys, NOW, nameOf, snapshotOf } from './chain.ts'

const timing = { intervalMs: 1000, wiggleMs: 500 }

describe('seal delay', () => {
  it('the in-turn producer seals at the interval; the others later, within the wiggle window', () => {
    const snap = snapshotOf(['A', 'B', 'C', 'D', 'E'])
    const turn = inTurnProducer(snap, 1)
    expect(sealDelay(snap, turn, timing)).toBe(1000)
    const others = snap.producers.filter((p) => p !== turn)
    const delays = others.map((p) => sealDelay(snap, p, timing) as number)
    // floor(5/2)+1 = 3 wiggle units of seeded spread, after one unit that keeps them behind the in-turn producer.
    for (const d of delays) expect(d >= 1500 && d < 1500 + 3 * 500).toBe(true)
    expect(new Set(delays).size).toBeGreaterThan(1)
  })

  it('is the same on every node: a function of height and key only', () => {
    const key = toHex(keys.B.publicKey)
    expect(seededWiggle(7, key, 1500)).toBe(seededWiggle(7, key, 1500))
    const spread = new Set(Array.from({ length: 20 }, (_, h) => seededWiggle(h + 1, key, 1500)))
    expect(spread.size).toBeGreaterThan(10)
    expect(seededWiggle(7, key, 0)).toBe(0)
  })

  it('is undefined for a producer that signed recently, and for a key that is no producer', () => {
    const snap = snapshotOf(['A', 'B', 'C'])
    const first = nameOf(inTurnProducer(snap, 1))
    const r = applyHeaders(snap, build(snap, by(first)), NOW)
    if (!r.ok) throw new Error('valid')
    expect(sealDelay(r.snapshot, toHex(keys[first].publicKey), timing)).toBeUndefined()
    expect(sealDelay(r.snapshot, toHex(keys.X.publicKey), timing)).toBeUndefined()
  })
})
