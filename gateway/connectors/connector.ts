import type { Reading } from '../../core/reading.ts'

/**
 * Where connectors hand readings. The promise resolves once the readings are sealed in a batch and
 * written to the durable outbox: only then may a connector acknowledge its source (MQTT PUBACK, serial ack frame).
 * It may wait longer when the outbox is full: that is the backpressure a connector passes on to its source.
 */
export interface ReadingSink {
  push(readings: Reading[]): Promise<void>
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
