/**
 * The frames of the Stele serial protocol, version 1 (docs/protocol-serial.md). All multi-byte integers are
 * big-endian. A frame on the wire is COBS(packet) 0x00, where packet = body ‖ CRC-16/CCITT-FALSE(body).
 */

import { LIMITS } from '../core/reading.ts'

export const PROTOCOL_VERSION = 1

export const FRAME_TYPE = { hello: 0x01, data: 0x02, ack: 0x03 } as const

/** Decoded packet limit (body and CRC): an Uno can hold one in RAM twice over with room to spare. */
export const MAX_PACKET = 255
/** COBS(255 bytes) is at most 257 bytes; the 0x00 delimiter is not counted. */
export const MAX_ENCODED = 257

export const FRAME_LIMITS = {
  boardIdBytes: 32,
  firmwareBytes: 16,
  /** A sensor name and unit become a record's sensor and unit, so they share the record's limits. */
  sensorNameBytes: LIMITS.sensorBytes,
  unitBytes: LIMITS.unitBytes,
  maxSensors: 16,
  maxSamples: 32,
  minExponent: -12,
  maxExponent: 12,
} as const

/** HELLO flag: sent because the board just booted (as opposed to answering a HELLO request). */
export const HELLO_FLAG_BOOT = 0x01
/** ACK flags: the gateway asks for a HELLO; the ack sequence field is meaningful. */
export const ACK_FLAG_HELLO_REQUEST = 0x01
export const ACK_FLAG_SEQ_VALID = 0x02

export interface SensorInfo {
  /** Sensor id as it appears in readings (safe id alphabet). */
  name: string
  /** Physical unit, UTF-8, may be empty. */
  unit: string
  /** Decimal exponent: value = raw × 10^exponent, so boards send exact integers. */
  exponent: number
}

export interface HelloFrame {
  type: 'hello'
  /** Changes at every boot so the gateway can tell a reset board's sequence numbers from resends. */
  boot: number
  /** Oldest data sequence the board still holds, or the next it will use when it holds none. */
  seq: number
  uptimeMs: number
  flags: number
  boardId: string
  firmware: string
  sensors: SensorInfo[]
}

export interface Sample {
  /** Index into the HELLO sensor list. */
  sensor: number
  raw: number
}

export interface DataFrame {
  type: 'data'
  boot: number
  seq: number
  uptimeMs: number
  /** How many older, unacknowledged frames the board still holds: oldest held seq = seq − held. */
  held: number
  samples: Sample[]
}

export interface AckFrame {
  type: 'ack'
  boot: number
  /** Cumulative: every data frame of this boot with seq ≤ ackSeq (serial arithmetic) is safely stored. */
  ackSeq: number
  flags: number
}

export type Frame = HelloFrame | DataFrame | AckFrame

/** Signed distance a − b between two u32 sequence numbers (RFC 1982 serial arithmetic): wraps cleanly. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0
}
