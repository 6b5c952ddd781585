import type { StampedRecord } from '../../core/record.ts'
import type { Db } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'
import { decodeJson } from './state.ts'

export interface SensorSummary {
  unit: string | null
  value: number
  time: number
  readings: number
}

export interface DeviceSummary {
  device: string
  gateway: string
  sensors: { [sensor: string]: SensorSummary }
  firstSeen: number
  lastSeen: number
  readings: number
}

/** Folds accepted records into per-device summaries; returns the summaries that changed. */
export function foldDevices(
  devices: Map<string, DeviceSummary>,
  records: readonly StampedRecord[],
  gatewayHex: string,
): Set<DeviceSummary> {
  const touched = new Set<DeviceSummary>()
  for (const r of records) {
    let d = devices.get(r.device)
    if (!d) {
      d = {
        device: r.device,
        gateway: gatewayHex,
        sensors: {},
        firstSeen: r.time,
        lastSeen: r.time,
        readings: 0,
      }
      devices.set(r.device, d)
    }
    const s = d.sensors[r.sensor]
    if (s) {
      s.readings++
      if (r.time >= s.time) {
        s.value = r.value
        s.time = r.time
        s.unit = r.unit ?? null
      }
    } else {
      d.sensors[r.sensor] = { unit: r.unit ?? null, value: r.value, time: r.time, readings: 1 }
    }
    d.readings++
    d.gateway = gatewayHex
    if (r.time > d.lastSeen) d.lastSeen = r.time
    touched.add(d)
  }
  return touched
}

/** Replaces `devices` with the summaries stored on disk. */
export async function loadDevices(db: Db, devices: Map<string, DeviceSummary>): Promise<void> {
  devices.clear()
  for await (const [, v] of db.iterator({ gt: K.devicePrefix, lt: prefixEnd(K.devicePrefix) })) {
    const d = decodeJson<DeviceSummary>(v)
    devices.set(d.device, d)
  }
}
