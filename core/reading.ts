import type { ErrorCode } from './error-codes.ts'
import { SteleError } from './errors.ts'

/** Where a reading entered the gateway. Encoded as one byte in a StampedRecord. */
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

/**
 * The one id rule. Device and sensor ids appear in topics, URLs and index keys, so they are restricted to a safe
 * ASCII alphabet (one character is one byte), 1 to a field's limit long.
 */
export const ID_CHARS = 'A-Za-z0-9._:-'
const ID_RE = new RegExp(`^[${ID_CHARS}]+$`)

export function isValidId(id: string, maxBytes: number): boolean {
  if (id.length === 0 || id.length > maxBytes) return false
  // Every reading names its device and sensor, and a fleet repeats the same few: each is tested once (bounded).
  if (VALID_IDS.has(id)) return true
  if (!ID_RE.test(id)) return false
  if (VALID_IDS.size >= VALID_IDS_KEPT) VALID_IDS.clear()
  VALID_IDS.add(id)
  return true
}

const VALID_IDS = new Set<string>()
const VALID_IDS_KEPT = 16_384

/** The id rule as a JSON Schema / RegExp source, for ids of at most `maxBytes`. */
export function idPattern(maxBytes: number): string {
  return `^[${ID_CHARS}]{1,${maxBytes}}$`
}

/** What is wrong with a reading: the field, and a message that starts with it. */
export interface ReadingFault {
  field: keyof Reading | 'reading'
  message: string
}

const isU64 = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
/** A UTF-16 unit is at most 3 UTF-8 bytes: a short string needs no count. */
const utf8Within = (s: string, max: number): boolean =>
  s.length * 3 <= max || Buffer.byteLength(s, 'utf8') <= max

/**
 * The reading rules, written once: what every connector, the stamper and the record codec check. Returns the
 * first fault, or undefined when `r` can become a record. Allocates nothing on the good path (the record
 * encoder calls it for every record).
 */
export function readingFault(r: unknown): ReadingFault | undefined {
  if (r === null || typeof r !== 'object')
    return { field: 'reading', message: `reading: must be an object, got ${show(r)}` }
  const o = r as { [K in keyof Reading]?: unknown }
  if (typeof o.device !== 'string' || !isValidId(o.device, LIMITS.deviceIdBytes))
    return {
      field: 'device',
      message: `device: must be 1-${LIMITS.deviceIdBytes} characters of ${ID_CHARS}, got ${show(o.device)}`,
    }
  if (typeof o.sensor !== 'string' || !isValidId(o.sensor, LIMITS.sensorBytes))
    return {
      field: 'sensor',
      message: `sensor: must be 1-${LIMITS.sensorBytes} characters of ${ID_CHARS}, got ${show(o.sensor)}`,
    }
  if (typeof o.value !== 'number' || !Number.isFinite(o.value))
    return { field: 'value', message: `value: must be a finite number, got ${show(o.value)}` }
  if (o.unit !== undefined && (typeof o.unit !== 'string' || !utf8Within(o.unit, LIMITS.unitBytes)))
    return {
      field: 'unit',
      message: `unit: must be a string of at most ${LIMITS.unitBytes} UTF-8 bytes, got ${show(o.unit)}`,
    }
  if (o.deviceSeq !== undefined && !isU64(o.deviceSeq))
    return {
      field: 'deviceSeq',
      message: `deviceSeq: must be a non-negative integer, got ${show(o.deviceSeq)}`,
    }
  if (o.deviceTime !== undefined && !isU64(o.deviceTime))
    return {
      field: 'deviceTime',
      message: `deviceTime: must be a non-negative integer (ms), got ${show(o.deviceTime)}`,
    }
  if (!SOURCES.includes(o.source as Source))
    return { field: 'source', message: `source: must be one of ${SOURCES.join(', ')}, got ${show(o.source)}` }
  return undefined
}

/**
 * Checks `r` against the reading rules and returns it as a Reading with only the fields a record keeps (an empty
 * unit is no unit). Throws SteleError `code` (STELE_BAD_REQUEST unless a caller names another) whose message
 * starts with the offending field, which `details.field` also names.
 */
export function validateReading(r: unknown, code: ErrorCode = 'STELE_BAD_REQUEST'): Reading {
  const fault = readingFault(r)
  if (fault) throw new SteleError(code, fault.message, { details: { field: fault.field } })
  const o = r as Reading
  const out: Reading = { device: o.device, sensor: o.sensor, value: o.value, source: o.source }
  if (o.unit !== undefined && o.unit !== '') out.unit = o.unit
  if (o.deviceSeq !== undefined) out.deviceSeq = o.deviceSeq
  if (o.deviceTime !== undefined) out.deviceTime = o.deviceTime
  return out
}

function show(v: unknown): string {
  if (v === undefined || v === null) return String(v)
  const s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : typeof v
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}
