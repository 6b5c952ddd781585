/**
 * MQTT payloads into Readings. Accepted, for a topic naming device and (maybe) sensor:
 *   21.5                                     one reading, plain text number
 *   {"value":21.5,"unit":"C","seq":7,"ts":1700000000000}
 *   [{"value":21.5,"seq":7}, {"value":21.6,"seq":8}]            several readings of the topic's sensor
 *   {"readings":[{"sensor":"temp","value":21.5}, ...]}            several sensors in one message
 * Array items and `readings` entries may name their own `sensor`. `ts` follows core's one time rule (parseTime:
 * integer epoch ms, or ISO 8601 with a zone); each reading must pass validateReading.
 * A message is taken whole or refused whole, with a reason that names the offending entry.
 */
import { isSteleError } from '../../../core/errors.ts'
import { type Reading, readingFault } from '../../../core/reading.ts'
import { parseTime } from '../../../core/time.ts'

export type ParsedPayload = { ok: true; readings: Reading[] } | { ok: false; reason: string }

export const MAX_PAYLOAD_BYTES = 256 * 1024
export const MAX_READINGS_PER_MESSAGE = 1000

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

export function parsePayload(payload: Uint8Array, device: string, sensor: string | undefined): ParsedPayload {
  if (payload.length === 0) return { ok: false, reason: 'empty payload' }
  if (payload.length > MAX_PAYLOAD_BYTES)
    return { ok: false, reason: `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}` }
  const bytes = Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  let text = bytes.toString('utf8')
  // A JSON object or array as devices send it goes straight to JSON.parse: no trimmed copy, no number test.
  if (!isBracketed(bytes)) {
    text = text.trim()
    if (NUMBER_RE.test(text)) return build([{ value: Number(text) }], device, sensor)
  }
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

const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** `{...}` or `[...]` with nothing around it: what trimming would leave unchanged and a number never is. */
function isBracketed(b: Uint8Array): boolean {
  const first = b[0]
  const last = b[b.length - 1]
  return (first === OPEN_BRACE && last === CLOSE_BRACE) || (first === OPEN_BRACKET && last === CLOSE_BRACKET)
}

/** Every item as a Reading, checked by the reading rules (readingFault: no copy per reading), or the first refusal. */
function build(items: unknown[], device: string, sensor: string | undefined): ParsedPayload {
  if (items.length === 0) return { ok: false, reason: 'no readings in payload' }
  if (items.length > MAX_READINGS_PER_MESSAGE)
    return { ok: false, reason: `${items.length} readings exceed ${MAX_READINGS_PER_MESSAGE} per message` }
  const readings: Reading[] = []
  for (let i = 0; i < items.length; i++) {
    let r: Reading | string
    try {
      r = toReading(items[i], device, sensor)
    } catch (err) {
      if (!isSteleError(err)) throw err
      return refused(items, i, inPayloadTerms(err.message, err.details?.['field']))
    }
    if (typeof r === 'string') return refused(items, i, r)
    const fault = readingFault(r)
    if (fault) return refused(items, i, inPayloadTerms(fault.message, fault.field))
    readings.push(r)
  }
  return { ok: true, readings }
}

/** The refusal of a whole message, naming the entry when it has several. */
function refused(items: unknown[], i: number, reason: string): ParsedPayload {
  return { ok: false, reason: items.length > 1 ? `reading ${i}: ${reason}` : reason }
}

/** Reading fields under the names a payload gives them, so a reason names what the device sent. */
const PAYLOAD_NAMES: { [field: string]: string } = { deviceSeq: '"seq"', deviceTime: '"ts"' }

function inPayloadTerms(message: string, field: unknown): string {
  const name = typeof field === 'string' ? PAYLOAD_NAMES[field] : undefined
  return name && message.startsWith(`${field}:`) ? name + message.slice(String(field).length) : message
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
    if (o['unit'] !== '') r.unit = o['unit'] // an empty unit is no unit (as validateReading has it)
  }
  if (o['seq'] !== undefined) {
    if (typeof o['seq'] !== 'number') return '"seq" must be a number'
    r.deviceSeq = o['seq']
  }
  if (o['ts'] !== undefined) r.deviceTime = parseTime(o['ts'], '"ts"')
  return r
}
