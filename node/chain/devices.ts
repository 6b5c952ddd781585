import type { StampedRecord } from '../../core/record.ts'
import type { Db } from '../db/db.ts'
import { K, prefixEnd } from '../db/keys.ts'
import { type DeviceGroups, groupByDevice } from './device-groups.ts'
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
  byDevice: DeviceGroups = groupByDevice(records),
): Set<DeviceSummary> {
  const touched = new Set<DeviceSummary>()
  for (const [device, idx] of byDevice) {
    let d = devices.get(device)
    if (!d) {
      const time = records[idx[0]!]!.time
      d = { device, gateway: gatewayHex, sensors: {}, firstSeen: time, lastSeen: time, readings: 0 }
      devices.set(device, d)
    }
    for (const i of idx) foldReading(d, records[i]!)
    d.gateway = gatewayHex
    touched.add(d)
  }
  return touched
}

function foldReading(d: DeviceSummary, r: StampedRecord): void {
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
  if (r.time > d.lastSeen) d.lastSeen = r.time
}

/** Replaces `devices` with the summaries stored on disk. */
export async function loadDevices(db: Db, devices: Map<string, DeviceSummary>): Promise<void> {
  devices.clear()
  for await (const [, v] of db.iterator({ gt: K.devicePrefix, lt: prefixEnd(K.devicePrefix) })) {
    const d = decodeJson<DeviceSummary>(v)
    devices.set(d.device, d)
  }
}
