/**
 * Turning a device's Reading into the gateway's StampedRecord: the gateway key, its own record sequence and clock
 * time go beside the device's sequence and time, which are kept as sent and never overwritten.
 */
import type { Reading } from '../core/reading.ts'
import type { StampedRecord } from '../core/record.ts'
import type { HlcTimestamp } from './hlc.ts'

/** `reading` has passed validateReading (core/reading.ts): the batcher checks a whole push before stamping any. */
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
