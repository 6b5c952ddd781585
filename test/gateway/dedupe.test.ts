import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Reading } from '../../core/reading.ts'
import { createRandom } from '../../device-sim/random.ts'
import { RecentReadings } from '../../gateway/dedupe.ts'
import { Outbox } from '../../gateway/outbox.ts'
import { tempDir } from '../helpers/tmp.ts'

const r = (deviceSeq: number | undefined, value = 1, device = 'd'): Reading => ({
  device,
  sensor: 's',
  value,
  deviceSeq,
  deviceTime: 5,
  source: 'mqtt',
})

describe('recent readings (duplicate detection)', () => {
  it('recognises a repeat by device, sensor and seq with the same content, and returns the original seq', () => {
    const d = new RecentReadings(10)
    expect(d.check(r(1))).toBeUndefined()
    d.remember(r(1), 41)
    expect(d.check(r(1))).toBe(41)
    expect(d.check(r(1, 1, 'other'))).toBeUndefined()
    expect(d.check(r(1, 2))).toBeUndefined() // same seq, other value: a device that restarted its counter
    expect(d.check(r(undefined))).toBeUndefined() // no seq, no dedupe
    expect(d.stats()).toMatchObject({ duplicates: 1, seqReuse: 1 })
  })

  it('stays within capacity, forgetting the oldest first, even when keys are re-put', () => {
    const d = new RecentReadings(3)
    for (let i = 1; i <= 3; i++) d.remember(r(i), i)
    d.remember(r(1), 1) // re-put: now the youngest
    d.remember(r(4), 4) // evicts the slot of the first put of 1, which no longer owns the key
    expect(d.stats().remembered).toBeLessThanOrEqual(3)
    expect(d.check(r(4))).toBe(4)
    for (let i = 5; i < 10_000; i++) d.remember(r(i), i)
    expect(d.stats().remembered).toBe(3)
    expect(d.check(r(9999))).toBe(9999)
    expect(d.check(r(9996))).toBeUndefined()
  })

  it('admits a new reading under the record seq given and answers a repeat with the original seq', () => {
    const d = new RecentReadings(10)
    expect(d.admit(r(1), 7)).toBeUndefined()
    expect(d.admit(r(1), 8)).toBe(7)
    expect(d.admit(r(1, -0), 9)).toBeUndefined() // -0 is another value than 1, and than 0 below
    expect(d.admit(r(1, 0), 10)).toBeUndefined()
    expect(d.admit(r(1, 0), 11)).toBe(10)
    expect(d.admit({ ...r(1, 0), deviceTime: undefined }, 12)).toBeUndefined() // no time is not time 5
    expect(d.stats()).toMatchObject({ duplicates: 2, seqReuse: 3, remembered: 1 })
  })

  it('keeps exactly the newest `capacity` entries across devices while its slots grow', () => {
    const capacity = 5000 // past the first allocation of slots, so they grow twice
    const d = new RecentReadings(capacity)
    const total = 3 * capacity + 17
    for (let i = 0; i < total; i++) d.remember(r(i, i, `d${i % 7}`), i + 1)
    expect(d.stats().remembered).toBe(capacity)
    for (const i of [0, total - capacity - 1]) expect(d.check(r(i, i, `d${i % 7}`))).toBeUndefined()
    for (const i of [total - capacity, total - 1]) expect(d.check(r(i, i, `d${i % 7}`))).toBe(i + 1)
  })

  it('round-trips a batch through encode and load, as durable entries', () => {
    const a = new RecentReadings()
    const blob = a.encode([r(7), r(undefined), r(8, 3)])!
    const b = new RecentReadings()
    b.load([blob, new TextEncoder().encode('not json')])
    expect(b.check(r(7))).toBe(0)
    expect(b.check(r(8, 3))).toBe(0)
    expect(b.stats().remembered).toBe(2)
    expect(a.encode([r(undefined)])).toBeUndefined()
  })

  it('round-trips names outside ASCII, a missing device time and extreme numbers', () => {
    const readings: Reading[] = [
      { device: 'kühlraum-7', sensor: 'temp°', value: -0.5, deviceSeq: 2 ** 40, source: 'mqtt' },
      { device: 'kühlraum-7', sensor: 'rh', value: 1e300, deviceSeq: 0, deviceTime: 2 ** 50, source: 'mqtt' },
    ]
    const b = new RecentReadings()
    b.load([new RecentReadings().encode(readings)!])
    for (const x of readings) expect(b.check(x)).toBe(0)
    expect(b.check({ ...readings[0]!, deviceTime: 0 })).toBeUndefined() // undefined time is not 0
  })

  it('ignores a truncated blob', () => {
    const blob = new RecentReadings().encode([r(1), r(2)])!
    const b = new RecentReadings()
    b.load([blob.subarray(0, blob.length - 5), blob.subarray(0, 3)])
    expect(b.stats().remembered).toBe(0)
  })

  it('still reads the JSON blobs an older gateway left in its outbox', async () => {
    const dir = await tempDir('stele-dedupe-')
    try {
      const path = join(dir.path, 'outbox')
      const state = {
        chainId: 'c',
        batchSeq: 1,
        recordSeq: 2,
        prevHash: '0'.repeat(64),
        hlc: { time: 1, logical: 0 },
      }
      const old = await Outbox.open({ path })
      const json = JSON.stringify([
        ['d', 's', 7, 1, 5],
        ['d', 's', 8, 2, null],
      ])
      await old.append(
        { seq: 1, tx: new Uint8Array([1]), records: new Uint8Array([2]) },
        state,
        Buffer.from(json),
      )
      await old.close()
      const box = await Outbox.open({ path })
      const b = new RecentReadings()
      b.load(await box.recent())
      await box.close()
      expect(b.check(r(7))).toBe(0)
      expect(b.check({ ...r(8, 2), deviceTime: undefined })).toBe(0)
      expect(b.stats().remembered).toBe(2)
    } finally {
      await dir.cleanup()
    }
  })

  it('answers like a plain map of the newest `capacity` puts, over seeded random admits, re-puts and evictions', () => {
    // The reference: one key per put slot in a ring, a Map from key to its newest slot (what the index replaces).
    for (const seed of [1, 2, 3]) {
      const random = createRandom(seed)
      const capacity = 64
      const d = new RecentReadings(capacity)
      const ring: (string | undefined)[] = []
      const newest = new Map<string, { slot: number; value: number; record: number }>()
      let next = 0
      for (let i = 1; i <= 20_000; i++) {
        const reading = {
          ...r(Math.floor(random() * 90), Math.floor(random() * 2), `d${Math.floor(random() * 4)}`),
        }
        reading.sensor = `s${Math.floor(random() * 3)}`
        const key = `${reading.device}|${reading.sensor}|${reading.deviceSeq}`
        const held = newest.get(key)
        const expected = held && held.value === reading.value ? held.record : undefined
        expect(d.admit(reading, i)).toBe(expected)
        if (expected !== undefined) continue
        const old = ring[next]
        if (old !== undefined && newest.get(old)?.slot === next) newest.delete(old)
        ring[next] = key
        newest.set(key, { slot: next, value: reading.value, record: i })
        next = (next + 1) % capacity
        expect(d.stats().remembered).toBe(newest.size)
      }
    }
  })
})
