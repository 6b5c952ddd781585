/**
 * MQTT payloads into Readings. Accepted, for a topic naming device and (maybe) sensor:
 *   21.5                                     one reading, plain text number
 *   {"value":21.5,"unit":"C","seq":7,"ts":1700000000000}
 *   [{"value":21.5,"seq":7}, {"value":21.6,"seq":8}]            several readings of the topic's sensor
 *   {"readings":[{"sensor":"temp","value":21.5}, ...]}            several sensors in one message
 * Array items and `readings` entries may name their own `sensor`. `ts` is epoch ms or ISO 8601.
 * A message is taken whole or refused whole, with a reason that names the offending entry.
 */
import type { Reading } from '../../../core/reading.ts'
import { invalidReason } from '../../stamper.ts'

export type ParsedPayload = { ok: true; readings: Reading[] } | { ok: false; reason: string }

export const MAX_PAYLOAD_BYTES = 256 * 1024
export const MAX_READINGS_PER_MESSAGE = 1000

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

export function parsePayload(payload: Uint8Array, device: string, sensor: string | undefined): ParsedPayload {
  if (payload.length === 0) return { ok: false, reason: 'empty payload' }
  if (payload.length > MAX_PAYLOAD_BYTES)
    return { ok: false, reason: `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}` }
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8').trim()
  if (NUMBER_RE.test(text)) return build([{ value: Number(text) }], device, sensor)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'payload is neither a number nor JSON' }
  }
  if (typeof json === 'number') return build([{ value: json }], device, sensor)
  if (Array.isArray(json)) return build(json, device, sensor)
  if (json !== null && typeof json === 'object') {
    const o = json as { readings?: unknown }
    if ('readings' in o) {
      if (!Array.isArray(o.readings)) return { ok: false, reason: '"readings" must be an array' }
      return build(o.readings, device, sensor)
    }
    return build([json], device, sensor)
  }
  return { ok: false, reason: 'JSON payload must be a number, an object or an array' }
}

function build(items: unknown[], device: string, sensor: string | undefined): ParsedPayload {
  if (items.length === 0) return { ok: false, reason: 'no readings in payload' }
  if (items.length > MAX_READINGS_PER_MESSAGE)
    return { ok: false, reason: `${items.length} readings exceed ${MAX_READINGS_PER_MESSAGE} per message` }
  const readings: Reading[] = []
  for (let i = 0; i < items.length; i++) {
    const where = items.length > 1 ? `reading ${i}: ` : ''
    const r = toReading(items[i], device, sensor)
    if (typeof r === 'string') return { ok: false, reason: where + r }
    const why = invalidReason(r)
    if (why) return { ok: false, reason: where + why }
    readings.push(r)
  }
  return { ok: true, readings }
}

function toReading(item: unknown, device: string, topicSensor: string | undefined): Reading | string {
  if (typeof item !== 'number' && (item === null || typeof item !== 'object' || Array.isArray(item)))
    return 'each reading must be a number or an object'
  const o = (typeof item === 'number' ? { value: item } : item) as { [k: string]: unknown }
  const sensor = o['sensor'] ?? topicSensor
  if (typeof sensor !== 'string') return 'no sensor: put it in the topic or in the reading'
  if (typeof o['value'] !== 'number') return '"value" must be a number'
  const r: Reading = { device, sensor, value: o['value'], source: 'mqtt' }
  if (o['unit'] !== undefined) {
    if (typeof o['unit'] !== 'string') return '"unit" must be a string'
    r.unit = o['unit']
  }
  if (o['seq'] !== undefined) {
    if (typeof o['seq'] !== 'number') return '"seq" must be a number'
    r.deviceSeq = o['seq']
  }
  if (o['ts'] !== undefined) {
    const ts = parseTs(o['ts'])
    if (ts === undefined) return '"ts" must be epoch milliseconds or an ISO 8601 time'
    r.deviceTime = ts
  }
  return r
}

function parseTs(ts: unknown): number | undefined {
  if (typeof ts === 'number') return Number.isFinite(ts) ? Math.round(ts) : undefined
  if (typeof ts === 'string') {
    const ms = Date.parse(ts)
    return Number.isNaN(ms) ? undefined : ms
  }
  return undefined
}
