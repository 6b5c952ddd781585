/**
 * Turning a device's Reading into the gateway's StampedRecord: the gateway key, its own record sequence and clock
 * time go beside the device's sequence and time, which are kept as sent and never overwritten.
 */
import type { Reading } from '../core/reading.ts'
import { isValidId, LIMITS, SOURCES } from '../core/reading.ts'
import type { StampedRecord } from '../core/record.ts'
import type { HlcTimestamp } from './hlc.ts'

export function stamp(reading: Reading, gateway: Uint8Array, seq: number, ts: HlcTimestamp): StampedRecord {
  const r: StampedRecord = {
    gateway,
    seq,
    time: ts.time,
    logical: ts.logical,
    device: reading.device,
    sensor: reading.sensor,
    value: reading.value,
    source: reading.source,
  }
  if (reading.unit !== undefined && reading.unit !== '') r.unit = reading.unit
  if (reading.deviceSeq !== undefined) r.deviceSeq = reading.deviceSeq
  if (reading.deviceTime !== undefined) r.deviceTime = reading.deviceTime
  return r
}

const isU64 = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

/**
 * Why `r` cannot become a record, or undefined when it can. Checked before stamping so one bad reading is
 * refused on its own instead of failing a whole batch (the same limits the record encoder enforces).
 */
export function invalidReason(r: Reading): string | undefined {
  if (typeof r.device !== 'string' || !isValidId(r.device, LIMITS.deviceIdBytes))
    return `device id must be 1-${LIMITS.deviceIdBytes} characters of A-Z a-z 0-9 . _ : -`
  if (typeof r.sensor !== 'string' || !isValidId(r.sensor, LIMITS.sensorBytes))
    return `sensor must be 1-${LIMITS.sensorBytes} characters of A-Z a-z 0-9 . _ : -`
  if (typeof r.value !== 'number' || !Number.isFinite(r.value)) return 'value must be a finite number'
  if (r.unit !== undefined && (typeof r.unit !== 'string' || Buffer.byteLength(r.unit) > LIMITS.unitBytes))
    return `unit must be a string of at most ${LIMITS.unitBytes} bytes`
  if (r.deviceSeq !== undefined && !isU64(r.deviceSeq)) return 'seq must be a non-negative integer'
  if (r.deviceTime !== undefined && !isU64(r.deviceTime)) return 'ts must be non-negative epoch milliseconds'
  if (!SOURCES.includes(r.source)) return `source must be one of ${SOURCES.join(', ')}`
  return undefined
}
