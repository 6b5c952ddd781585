/**
 * The on-disk form of one batch's duplicate-detection rows (gateway/dedupe.ts), kept by the outbox beside the batch.
 *
 * Binary, written once per sealed batch on the main thread, often while still cold (a few hundred batches in a
 * short run), so it is plain typed-array stores rather than JSON or per-field Buffer writes: a header (version byte,
 * row count), the rows' numbers (device seq, value, device time or -1: a device time is a non-negative integer,
 * core/reading.ts) as little-endian float64, their device and sensor as uint32 indexes into the names that follow
 * (the batch's distinct names once each, length-prefixed UTF-8). Older data folders hold JSON blobs
 * (`[[device, sensor, seq, value, deviceTime|null], ...]`); they begin with '[' and are still read.
 */
import { endianness } from 'node:os'
import type { Reading } from '../core/reading.ts'

const VERSION = 1
const HEADER = 8
const NO_TIME = -1
const BIG_ENDIAN = endianness() === 'BE'

export type RowSink = (
  device: string,
  sensor: string,
  seq: number,
  value: number,
  deviceTime: number | undefined,
) => void

/** The rows of the readings that carry a device seq, or undefined when none does. */
export function encodeRows(readings: readonly Reading[]): Uint8Array | undefined {
  let rows = 0
  for (const r of readings) if (r.deviceSeq !== undefined) rows++
  if (rows === 0) return undefined
  // Rows first, into scratch arrays; the names' section size is known only once every name is indexed.
  const nums = new Float64Array(rows * 3)
  const refs = new Uint32Array(rows * 2)
  const names = new Map<string, number>()
  let namesBytes = 0
  const index = (name: string): number => {
    let i = names.get(name)
    if (i === undefined) {
      i = names.size
      names.set(name, i)
      namesBytes += 4 + Buffer.byteLength(name)
    }
    return i
  }
  // Consecutive readings mostly share device and sensor (one message, one batch of a device): no lookup for those.
  let lastDevice: string | undefined
  let lastSensor: string | undefined
  let device = 0
  let sensor = 0
  let k = 0
  for (const r of readings) {
    if (r.deviceSeq === undefined) continue
    if (r.device !== lastDevice) {
      lastDevice = r.device
      device = index(r.device)
    }
    if (r.sensor !== lastSensor) {
      lastSensor = r.sensor
      sensor = index(r.sensor)
    }
    nums[3 * k] = r.deviceSeq
    nums[3 * k + 1] = r.value
    nums[3 * k + 2] = r.deviceTime ?? NO_TIME
    refs[2 * k] = device
    refs[2 * k + 1] = sensor
    k++
  }
  const out = Buffer.allocUnsafe(HEADER + rows * 32 + namesBytes)
  out.writeUInt32LE(VERSION, 0)
  out.writeUInt32LE(rows, 4)
  const numBytes = Buffer.from(nums.buffer, 0, rows * 24)
  const refBytes = Buffer.from(refs.buffer, 0, rows * 8)
  if (BIG_ENDIAN) {
    numBytes.swap64()
    refBytes.swap32()
  }
  out.set(numBytes, HEADER)
  out.set(refBytes, HEADER + rows * 24)
  let at = HEADER + rows * 32
  for (const name of names.keys()) {
    const n = out.write(name, at + 4)
    out.writeUInt32LE(n, at)
    at += 4 + n
  }
  return out
}

/** Hands every row of `blob` to `sink`; an unreadable blob yields nothing (memory only costs dedupe, not safety). */
export function decodeRows(blob: Uint8Array, sink: RowSink): void {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)
  if (b[0] === VERSION) decodeBinary(b, sink)
  else decodeJson(b, sink)
}

function decodeBinary(b: Buffer, sink: RowSink): void {
  if (b.length < HEADER) return
  const rows = b.readUInt32LE(4)
  const names: string[] = []
  let at = HEADER + rows * 32
  while (at + 4 <= b.length) {
    const n = b.readUInt32LE(at)
    if (at + 4 + n > b.length) return
    names.push(b.toString('utf8', at + 4, at + 4 + n))
    at += 4 + n
  }
  if (at !== b.length) return // truncated: no row is trusted
  for (let k = 0; k < rows; k++) {
    const device = names[b.readUInt32LE(HEADER + rows * 24 + 8 * k)]
    const sensor = names[b.readUInt32LE(HEADER + rows * 24 + 8 * k + 4)]
    if (device === undefined || sensor === undefined) continue
    const num = (j: number) => b.readDoubleLE(HEADER + 24 * k + 8 * j)
    const time = num(2)
    sink(device, sensor, num(0), num(1), time === NO_TIME ? undefined : time)
  }
}

/** A persisted JSON row: device, sensor, device seq, value, device time (or null). */
type JsonRow = [string, string, number, number, number | null]

function decodeJson(b: Buffer, sink: RowSink): void {
  let rows: unknown
  try {
    rows = JSON.parse(b.toString('utf8'))
  } catch {
    return
  }
  if (!Array.isArray(rows)) return
  for (const row of rows as JsonRow[]) {
    if (!Array.isArray(row) || row.length !== 5) continue
    const [device, sensor, seq, value, deviceTime] = row
    sink(device, sensor, seq, value, deviceTime ?? undefined)
  }
}
