import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../core/ed25519.ts'
import { type Reading, SOURCES } from '../../core/reading.ts'
import { decodeRecord, encodeRecord, encodeRecordList } from '../../core/record.ts'
import { type Pending, recordList } from '../../gateway/batch-group.ts'
import { RecordStamper, stamp } from '../../gateway/stamper.ts'

const key = generateKeyPair()
const reading = fc.record(
  {
    device: fc.constantFrom('dev-1', 'greenhouse.north', 'b'.repeat(64)),
    sensor: fc.constantFrom('temp', 'ec', 'soil_moisture'),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    unit: fc.constantFrom('C', '°C', 'µS/cm', ''),
    deviceSeq: fc.nat(),
    deviceTime: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    source: fc.constantFrom(...SOURCES),
  },
  { requiredKeys: ['device', 'sensor', 'value', 'source'] },
) as fc.Arbitrary<Reading>

describe('RecordStamper', () => {
  it('writes exactly the bytes encodeRecord writes for the same stamped reading', () => {
    const stamper = new RecordStamper(key.publicKey)
    fc.assert(
      fc.property(
        reading,
        fc.nat(),
        fc.integer({ min: 0, max: 2 ** 52 }),
        fc.nat(0xffff_ffff),
        (r, seq, time, logical) => {
          const want = encodeRecord(stamp(r, key.publicKey, seq + 1, { time, logical }))
          expect(Buffer.from(stamper.encode(r, seq + 1, time, logical))).toEqual(Buffer.from(want))
        },
      ),
      { seed: 11, numRuns: 500 },
    )
  })

  it('keeps every record intact across its 64 KiB slabs', () => {
    const stamper = new RecordStamper(key.publicKey)
    const r: Reading = { device: 'dev-1', sensor: 'temp', value: 1.5, unit: 'C', source: 'mqtt' }
    const out = Array.from({ length: 3000 }, (_, i) =>
      stamper.encode({ ...r, deviceSeq: i }, i + 1, 1000 + i, 0),
    )
    for (const [i, bytes] of out.entries())
      expect(decodeRecord(bytes)).toMatchObject({ seq: i + 1, deviceSeq: i })
  })

  it('writes list entries whose runs make the same record list as encodeRecordList, across slabs', () => {
    const stamper = new RecordStamper(key.publicKey)
    const other = new RecordStamper(key.publicKey)
    const r: Reading = { device: 'dev-1', sensor: 'temp', value: 1.5, unit: 'C', source: 'mqtt' }
    const pending: Pending[] = []
    const records: Uint8Array[] = []
    for (let i = 0; i < 3000; i++) {
      const reading = { ...r, deviceSeq: i, ...(i % 3 ? {} : { device: `device-${i}` }) }
      const start = stamper.write(reading, i + 1, 1000 + i, i % 5)
      const p = { reading, slab: stamper.current, start, end: stamper.end, seq: i + 1 }
      pending.push({ ...p, time: 1000 + i, logical: i % 5, joined: false })
      records.push(other.encode(reading, i + 1, 1000 + i, i % 5))
      if (i % 7 === 0) stamper.encode(r, 0, 0, 0) // a gap in the slab: the run ends here
    }
    // Takes of odd sizes, some spanning a slab boundary.
    for (const [from, to] of [
      [0, 1],
      [0, 1000],
      [1234, 2999],
      [0, 3000],
    ] as const)
      expect(Buffer.from(recordList(pending.slice(from, to)))).toEqual(
        Buffer.from(encodeRecordList(records.slice(from, to))),
      )
  })
})
