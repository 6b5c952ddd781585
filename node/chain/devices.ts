import type { StampedRecord } from '../../core/record.ts'

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
