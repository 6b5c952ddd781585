/** Where a reading entered the gateway. Encoded as one byte in a Record. */
export const SOURCES = ['mqtt', 'serial', 'firmata', 'sim', 'http'] as const
export type Source = (typeof SOURCES)[number]

/** What every connector emits: the device's own words, before the gateway stamps them. */
export interface Reading {
  device: string
  sensor: string
  value: number
  unit?: string | undefined
  /** The device's own sequence number, when it sends one. */
  deviceSeq?: number | undefined
  /** The device's own clock (epoch ms or uptime ms, as it sent it). */
  deviceTime?: number | undefined
  source: Source
}

/** Limits that keep every record small and bounded; the encoders enforce them. */
export const LIMITS = {
  deviceIdBytes: 64,
  sensorBytes: 32,
  unitBytes: 16,
  maxBatchRecords: 10_000,
} as const

const ID_RE = /^[A-Za-z0-9._:-]+$/

/** Device and sensor ids appear in topics, URLs and index keys, so they are restricted to a safe alphabet. */
export function isValidId(id: string, maxBytes: number): boolean {
  return id.length > 0 && id.length <= maxBytes && ID_RE.test(id)
}
