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
  const head = Buffer.allocUnsafeSlow(HEADER + rows * 32) // its own ArrayBuffer: offset 0, aligned for float64
  head.writeUInt32LE(VERSION, 0)
  head.writeUInt32LE(rows, 4)
  const nums = new Float64Array(head.buffer, head.byteOffset + HEADER, rows * 3)
  const refs = new Uint32Array(head.buffer, head.byteOffset + HEADER + rows * 24, rows * 2)
  const names = new Map<string, number>()
  const index = (name: string): number => {
    let i = names.get(name)
    if (i === undefined) {
      i = names.size
      names.set(name, i)
    }
    return i
  }
  let k = 0
  for (const r of readings) {
    if (r.deviceSeq === undefined) continue
    nums[3 * k] = r.deviceSeq
    nums[3 * k + 1] = r.value
    nums[3 * k + 2] = r.deviceTime ?? NO_TIME
    refs[2 * k] = index(r.device)
    refs[2 * k + 1] = index(r.sensor)
    k++
  }
  if (BIG_ENDIAN) {
    head.subarray(HEADER, HEADER + rows * 24).swap64()
    head.subarray(HEADER + rows * 24).swap32()
  }
  const parts: Buffer[] = [head]
  for (const name of names.keys()) {
    const bytes = Buffer.from(name)
    const len = Buffer.allocUnsafe(4)
    len.writeUInt32LE(bytes.length, 0)
    parts.push(len, bytes)
  }
  return Buffer.concat(parts)
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
