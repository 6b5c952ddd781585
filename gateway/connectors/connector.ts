import type { Reading } from '../../core/reading.ts'

/**
 * Where connectors hand readings. The promise resolves once the readings are sealed in a batch and
 * written to the durable outbox: only then may a connector acknowledge its source (MQTT PUBACK, serial ack frame).
 * It may wait longer when the outbox is full: that is the backpressure a connector passes on to its source.
 */
export interface ReadingSink {
  /**
   * `frames`, when given, says which source frame each run of readings came from (a serial board's boot and
   * frame seq): the sink keeps a frame's readings in one batch and writes the source's mark with it.
   */
  push(readings: Reading[], frames?: readonly FrameSpan[]): Promise<void>
  /** The last durable mark of a source, as written with the outbox (survives a restart). */
  mark?(source: string): DeliveryMark | undefined
}

/** Where a source's delivery stands: every frame of `boot` up to `seq` (serial arithmetic) is durable. */
export interface DeliveryMark {
  source: string
  boot: number
  seq: number
}

/** One source frame inside a push: its readings end (exclusive) at index `end`, after the previous span's. */
export interface FrameSpan extends DeliveryMark {
  end: number
}

export interface ConnectorStatus {
  name: string
  kind: 'mqtt' | 'serial' | 'firmata'
  connected: boolean
  /** Frames or messages received, readings produced, errors (garbled, CRC, malformed) counted. */
  received: number
  readings: number
  errors: number
  lastMessageAt: number | null
  detail?: Record<string, unknown>
}

/** Every connector is startable and reports its health; the same compliance suite runs against each. */
export interface Connector {
  readonly name: string
  start(opts?: { signal?: AbortSignal }): Promise<void>
  stop(): Promise<void>
  status(): ConnectorStatus
}
