import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSteleError } from '../../core/errors.ts'
import { MAX_TIME_MS, parseTime } from '../../core/time.ts'

function refused(input: unknown): void {
  let thrown: unknown
  try {
    parseTime(input, 'from')
  } catch (e) {
    thrown = e
  }
  expect(isSteleError(thrown, 'STELE_BAD_TIME'), JSON.stringify(input)).toBe(true)
  expect((thrown as Error).message).toMatch(/^from: /)
}

describe('parseTime', () => {
  it('takes epoch milliseconds as an integer number or a string of digits', () => {
    expect(parseTime(1_700_000_000_000)).toBe(1_700_000_000_000)
    expect(parseTime('1700000000000')).toBe(1_700_000_000_000)
    expect(parseTime(0)).toBe(0)
    expect(parseTime('0')).toBe(0)
    expect(parseTime(MAX_TIME_MS)).toBe(MAX_TIME_MS)
  })

  it('takes ISO 8601 date-times with an explicit zone, and a date alone as midnight UTC', () => {
    expect(parseTime('2023-11-14T22:13:20.000Z')).toBe(1_700_000_000_000)
    expect(parseTime('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000)
    expect(parseTime('2023-11-14T22:13Z')).toBe(1_699_999_980_000)
    expect(parseTime('2023-11-15T00:13:20+02:00')).toBe(1_700_000_000_000)
    expect(parseTime('2023-11-14T17:13:20-05:00')).toBe(1_700_000_000_000)
    expect(parseTime('2023-11-14T22:13:20.123456789Z')).toBe(1_700_000_000_123)
    expect(parseTime('2023-11-14T22:13:20.5Z')).toBe(1_700_000_000_500)
    expect(parseTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29))
    expect(parseTime('1970-01-01T00:00:00Z')).toBe(0)
  })

  it('refuses zone-less times, impossible dates, negative and fractional milliseconds, and other types', () => {
    for (const bad of [
      '2023-11-14T22:13:20', // local time: another instant on every machine
      '2023-11-14 22:13:20Z',
      '2023-02-29',
      '2023-04-31T00:00Z',
      '2023-13-01',
      '2023-11-14T24:00Z',
      '2023-11-14T23:60Z',
      '2023-11-14T23:59:60Z',
      '2023-11-14T22:13:20+24:00',
      '0075-01-01', // Date.UTC would read the year as 1975
      '1969-12-31T23:59:59Z',
      'Tue, 14 Nov 2023 22:13:20 GMT', // Date.parse takes it; the API does not
      'yesterday',
      '',
      '-1',
      '1.5',
      ' 1700000000000',
      '99999999999999999',
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      MAX_TIME_MS + 1,
      null,
      undefined,
      {},
    ])
      refused(bad)
  })

  it('reads back every instant its ISO form names, in any zone', () => {
    fc.assert(
      fc.property(
        // 1970-01-02 .. 9999-12-31, so the local year stays four digits in any zone
        fc.integer({ min: 86_400_000, max: 253_402_000_000_000 }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (ms, zoneMin) => {
          const local = new Date(ms + zoneMin * 60_000).toISOString().slice(0, 23)
          const a = Math.abs(zoneMin)
          const zone = `${zoneMin < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`
          expect(parseTime(`${local}${zone}`)).toBe(ms)
          expect(parseTime(new Date(ms).toISOString())).toBe(ms)
          expect(parseTime(String(ms))).toBe(ms)
        },
      ),
      { seed: 9, numRuns: 500 },
    )
  })
})
