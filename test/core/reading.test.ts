import { describe, expect, it } from 'vitest'
import { isSteleError } from '../../core/errors.ts'
import { idPattern, isValidId, LIMITS, type Reading, validateReading } from '../../core/reading.ts'
import { encodeRecord, type StampedRecord } from '../../core/record.ts'

const good: Reading = { device: 'dev-1', sensor: 'temp', value: 21.5, unit: '°C', source: 'mqtt' }

function refusal(r: unknown): { field: unknown; message: string } {
  try {
    validateReading(r)
  } catch (e) {
    expect(isSteleError(e, 'STELE_BAD_REQUEST')).toBe(true)
    if (isSteleError(e)) return { field: e.details?.['field'], message: e.message }
  }
  throw new Error(`accepted ${JSON.stringify(r)}`)
}

describe('validateReading', () => {
  it('returns the reading with only the fields a record keeps, an empty unit dropped', () => {
    expect(validateReading({ ...good, deviceSeq: 7, deviceTime: 1_700_000_000_000, extra: 1 })).toEqual({
      ...good,
      deviceSeq: 7,
      deviceTime: 1_700_000_000_000,
    })
    expect(validateReading({ ...good, unit: '' })).toEqual({
      device: 'dev-1',
      sensor: 'temp',
      value: 21.5,
      source: 'mqtt',
    })
  })

  it('refuses with STELE_BAD_REQUEST naming the field, in details and at the start of the message', () => {
    const cases: [unknown, string][] = [
      [{ ...good, device: '' }, 'device'],
      [{ ...good, device: 'a b' }, 'device'],
      [{ ...good, device: 'x'.repeat(LIMITS.deviceIdBytes + 1) }, 'device'],
      [{ ...good, device: 7 }, 'device'],
      [{ ...good, sensor: 'x'.repeat(LIMITS.sensorBytes + 1) }, 'sensor'],
      [{ ...good, sensor: 'tempé' }, 'sensor'],
      [{ ...good, value: Number.NaN }, 'value'],
      [{ ...good, value: Number.POSITIVE_INFINITY }, 'value'],
      [{ ...good, value: '21.5' }, 'value'],
      [{ ...good, unit: 'é'.repeat(9) }, 'unit'], // 9 characters, 18 bytes
      [{ ...good, unit: 5 }, 'unit'],
      [{ ...good, deviceSeq: -1 }, 'deviceSeq'],
      [{ ...good, deviceSeq: 1.5 }, 'deviceSeq'],
      [{ ...good, deviceSeq: 2 ** 53 }, 'deviceSeq'],
      [{ ...good, deviceTime: -1 }, 'deviceTime'],
      [{ ...good, source: 'carrier-pigeon' }, 'source'],
      [null, 'reading'],
      ['21.5', 'reading'],
    ]
    for (const [r, field] of cases) {
      const got = refusal(r)
      expect(got.field, JSON.stringify(r)).toBe(field)
      expect(got.message.startsWith(`${field}: `), got.message).toBe(true)
    }
    expect(refusal({ ...good, value: Number.NaN }).message).toBe('value: must be a finite number, got NaN')
  })

  it('takes another code where the caller is a decoder', () => {
    expect(() => validateReading({ ...good, value: Number.NaN }, 'STELE_BAD_ENCODING')).toThrow(
      expect.objectContaining({ code: 'STELE_BAD_ENCODING' }),
    )
  })

  it('is the rule the record encoder enforces', () => {
    const rec: StampedRecord = { ...good, gateway: new Uint8Array(32), seq: 1, time: 1, logical: 0 }
    expect(encodeRecord(rec).length).toBeGreaterThan(0)
    for (const bad of [{ sensor: 'a b' }, { value: Number.NaN }, { deviceSeq: -1 }, { unit: 'é'.repeat(9) }])
      expect(() => encodeRecord({ ...rec, ...bad } as StampedRecord)).toThrow(
        expect.objectContaining({ code: 'STELE_BAD_ENCODING' }),
      )
  })
})

describe('the id rule', () => {
  it('is one alphabet for isValidId and the schema pattern', () => {
    const re = new RegExp(idPattern(8))
    for (let c = 0; c < 0x3000; c++) {
      const s = String.fromCharCode(c)
      expect(re.test(s), `U+${c.toString(16)}`).toBe(isValidId(s, 8))
    }
    expect(isValidId('a'.repeat(8), 8) && re.test('a'.repeat(8))).toBe(true)
    expect(isValidId('a'.repeat(9), 8) || re.test('a'.repeat(9))).toBe(false)
  })

  it('checks the length on every call, also for an id it has seen valid before', () => {
    expect(isValidId('abcdefghi', 64)).toBe(true)
    expect(isValidId('abcdefghi', 8)).toBe(false)
    expect(isValidId('abc def', 64)).toBe(false)
    expect(isValidId('abc def', 64)).toBe(false)
  })
})
