import { ByteReader, ByteWriter } from '../core/bytes.ts'
import { SteleError } from '../core/errors.ts'
import { isValidId } from '../core/reading.ts'
import { cobsEncodeInto, cobsMaxEncodedLength } from './cobs.ts'
import { crc16 } from './crc.ts'
import {
  type DataFrame,
  FRAME_LIMITS,
  FRAME_TYPE,
  type Frame,
  type HelloFrame,
  MAX_PACKET,
  PROTOCOL_VERSION,
  type Sample,
  type SensorInfo,
} from './frame-types.ts'

const bad = (msg: string): SteleError => new SteleError('STELE_BAD_ENCODING', `frame: ${msg}`)

function checkUint(v: number, bits: 8 | 16 | 32, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw bad(`${field} must be a u${bits}, got ${v}`)
}

function checkUnit(unit: string): boolean {
  // Units may be UTF-8 (°C) but never control characters, which would break logs and CSV exports: the Unicode
  // category Cc, i.e. C0 (U+0000..U+001F), DEL (U+007F) and C1 (U+0080..U+009F) (protocol-serial.md §2).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  return !/[\u0000-\u001f\u007f-\u009f]/.test(unit)
}

function writeHello(w: ByteWriter, f: HelloFrame): void {
  checkUint(f.flags, 8, 'flags')
  if (!isValidId(f.boardId, FRAME_LIMITS.boardIdBytes))
    throw bad(`boardId ${JSON.stringify(f.boardId)} is not a valid id`)
  if (f.sensors.length < 1 || f.sensors.length > FRAME_LIMITS.maxSensors)
    throw bad(`sensor count must be 1..${FRAME_LIMITS.maxSensors}, got ${f.sensors.length}`)
  if (!checkUnit(f.firmware)) throw bad('firmware has control characters')
  w.u8(f.flags)
    .str8(f.boardId, 'boardId', FRAME_LIMITS.boardIdBytes)
    .str8(f.firmware, 'firmware', FRAME_LIMITS.firmwareBytes)
  w.u8(f.sensors.length)
  for (const s of f.sensors) {
    if (!isValidId(s.name, FRAME_LIMITS.sensorNameBytes))
      throw bad(`sensor name ${JSON.stringify(s.name)} is not a valid id`)
    if (!checkUnit(s.unit)) throw bad(`unit of ${s.name} has control characters`)
    if (
      !Number.isInteger(s.exponent) ||
      s.exponent < FRAME_LIMITS.minExponent ||
      s.exponent > FRAME_LIMITS.maxExponent
    )
      throw bad(`exponent of ${s.name} must be ${FRAME_LIMITS.minExponent}..${FRAME_LIMITS.maxExponent}`)
    w.str8(s.name, 'sensor name', FRAME_LIMITS.sensorNameBytes)
      .str8(s.unit, 'unit', FRAME_LIMITS.unitBytes)
      .u8(s.exponent & 0xff)
  }
}

function writeData(w: ByteWriter, f: DataFrame): void {
  checkUint(f.held, 8, 'held')
  if (f.samples.length < 1 || f.samples.length > FRAME_LIMITS.maxSamples)
    throw bad(`sample count must be 1..${FRAME_LIMITS.maxSamples}, got ${f.samples.length}`)
  w.u8(f.held).u8(f.samples.length)
  const seen = new Set<number>()
  for (const s of f.samples) {
    checkUint(s.sensor, 8, 'sensor index')
    if (seen.has(s.sensor)) throw bad(`sensor index ${s.sensor} appears twice`)
    seen.add(s.sensor)
    if (!Number.isInteger(s.raw) || s.raw < -0x8000_0000 || s.raw > 0x7fff_ffff)
      throw bad(`raw ${s.raw} is not an i32`)
    w.u8(s.sensor).u32(s.raw >>> 0)
  }
}

/** The packet body (version, type, fields) without CRC; throws a coded error naming the bad field. */
export function encodeBody(frame: Frame): Uint8Array {
  const w = new ByteWriter(64)
  checkUint(frame.boot, 16, 'boot')
  w.u8(PROTOCOL_VERSION).u8(FRAME_TYPE[frame.type]).u16(frame.boot)
  if (frame.type === 'ack') {
    checkUint(frame.ackSeq, 32, 'ackSeq')
    checkUint(frame.flags, 8, 'flags')
    w.u32(frame.ackSeq).u8(frame.flags)
  } else {
    checkUint(frame.seq, 32, 'seq')
    checkUint(frame.uptimeMs, 32, 'uptimeMs')
    w.u32(frame.seq).u32(frame.uptimeMs)
    if (frame.type === 'hello') writeHello(w, frame)
    else writeData(w, frame)
  }
  if (w.length + 2 > MAX_PACKET) throw bad(`packet of ${w.length + 2} bytes exceeds ${MAX_PACKET}`)
  return w.finish()
}

/** The packet: body followed by its CRC, big-endian. */
export function encodePacket(frame: Frame): Uint8Array {
  const body = encodeBody(frame)
  const packet = new Uint8Array(body.length + 2)
  packet.set(body)
  const crc = crc16(body)
  packet[body.length] = crc >>> 8
  packet[body.length + 1] = crc & 0xff
  return packet
}

/** Wire bytes of one frame: COBS(packet) followed by the 0x00 delimiter. */
export function encodeFrame(frame: Frame): Uint8Array {
  return frameFromPacket(encodePacket(frame))
}

/** COBS-encodes a packet (valid or deliberately damaged, as the fault injector does) and appends 0x00. */
export function frameFromPacket(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(packet.length) + 1)
  const end = cobsEncodeInto(packet, out)
  out[end] = 0
  return out.subarray(0, end + 1)
}

function readHello(r: ByteReader, boot: number, seq: number, uptimeMs: number): HelloFrame {
  const flags = r.u8('flags')
  const boardId = r.str8('boardId')
  const firmware = r.str8('firmware')
  if (!isValidId(boardId, FRAME_LIMITS.boardIdBytes)) throw bad('boardId is not a valid id')
  if (Buffer.byteLength(firmware) > FRAME_LIMITS.firmwareBytes || !checkUnit(firmware))
    throw bad('firmware invalid')
  const n = r.u8('sensor count')
  if (n < 1 || n > FRAME_LIMITS.maxSensors) throw bad(`sensor count ${n}`)
  const sensors: SensorInfo[] = []
  for (let i = 0; i < n; i++) {
    const name = r.str8('sensor name')
    const unit = r.str8('unit')
    const exponent = (r.u8('exponent') << 24) >> 24
    if (!isValidId(name, FRAME_LIMITS.sensorNameBytes)) throw bad('sensor name is not a valid id')
    if (Buffer.byteLength(unit) > FRAME_LIMITS.unitBytes || !checkUnit(unit)) throw bad('unit invalid')
    if (exponent < FRAME_LIMITS.minExponent || exponent > FRAME_LIMITS.maxExponent)
      throw bad(`exponent ${exponent}`)
    sensors.push({ name, unit, exponent })
  }
  return { type: 'hello', boot, seq, uptimeMs, flags, boardId, firmware, sensors }
}

const stamps = new Float64Array(256)
let stampGen = 0

function readData(r: ByteReader, boot: number, seq: number, uptimeMs: number): DataFrame {
  const held = r.u8('held')
  const n = r.u8('sample count')
  if (n < 1 || n > FRAME_LIMITS.maxSamples) throw bad(`sample count ${n}`)
  const samples: Sample[] = []
  // A generation stamp per sensor index finds duplicates without allocating a set per frame.
  const gen = ++stampGen
  for (let i = 0; i < n; i++) {
    const sensor = r.u8('sensor index')
    const raw = r.u32('raw') | 0
    if (stamps[sensor] === gen) throw bad(`sensor index ${sensor} appears twice`)
    stamps[sensor] = gen
    samples.push({ sensor, raw })
  }
  return { type: 'data', boot, seq, uptimeMs, held, samples }
}

/**
 * Parses a packet body whose CRC already checked out (`body` excludes the CRC). Throws STELE_BAD_ENCODING on any
 * structural fault: unknown version or type, a field running past the end, trailing bytes, an id outside the
 * safe alphabet. The streaming decoder turns that into a `malformed` count.
 */
export function parseBody(body: Uint8Array): Frame {
  const r = new ByteReader(body, 'frame')
  const version = r.u8('version')
  if (version !== PROTOCOL_VERSION) throw bad(`unsupported version ${version}`)
  const type = r.u8('type')
  const boot = r.u16('boot')
  let frame: Frame
  if (type === FRAME_TYPE.ack) {
    frame = { type: 'ack', boot, ackSeq: r.u32('ackSeq'), flags: r.u8('flags') }
  } else if (type === FRAME_TYPE.hello || type === FRAME_TYPE.data) {
    const seq = r.u32('seq')
    const uptimeMs = r.u32('uptimeMs')
    frame = type === FRAME_TYPE.hello ? readHello(r, boot, seq, uptimeMs) : readData(r, boot, seq, uptimeMs)
  } else {
    throw bad(`unknown type ${type}`)
  }
  r.end()
  return frame
}

/** value = raw × 10^exponent, computed by division for negative exponents so 2512 × 10^-2 prints as 25.12. */
export function scaleRaw(raw: number, exponent: number): number {
  return exponent < 0 ? raw / 10 ** -exponent : raw * 10 ** exponent
}
