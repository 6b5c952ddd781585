import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { SteleError } from '../../core/errors.ts'
import { type Logger, silentLogger } from '../../core/logger.ts'
import type { AcceptedBatch } from '../chain/accepted-batch.ts'
import type { ContractEventView } from '../executor/service.ts'
import type { Cursor } from './cursor.ts'
import { readingEvent } from './events.ts'

/** What the republisher listens to: the stream hub's 'records' event (every accepted batch, in order). */
export interface RecordSource {
  on(event: 'records', fn: (batch: AcceptedBatch, at: Cursor) => void): unknown
  off(event: 'records', fn: (batch: AcceptedBatch, at: Cursor) => void): unknown
}

/** Contract events as the executor emits them once their result is in a block ('event'). */
export interface ContractEventSource {
  on(event: 'event', fn: (e: ContractEventView) => void): unknown
  off(event: 'event', fn: (e: ContractEventView) => void): unknown
}

export interface MqttRepublishInit {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string
  hub: RecordSource
  /** When given, each contract event is published under stele/contracts/{contract}/{event}. */
  contracts?: ContractEventSource | undefined
  /** Topic pattern; {device}, {sensor} and {gateway} are replaced (default stele/verified/{device}/{sensor}). */
  prefix?: string
  /** 0 (default): at most once, nothing held for a slow broker. 1: at least once, acknowledged by the broker. */
  qos?: 0 | 1
  retain?: boolean
  clientId?: string
  /** Bytes the broker connection may hold unsent; readings beyond are dropped and counted (default 4 MiB). */
  maxBufferBytes?: number
  /** QoS 1 publishes awaiting the broker's acknowledgement; beyond this readings are dropped (default 10,000). */
  maxInflight?: number
  logger?: Logger
  /** Anything else for mqtt.js: username and password, TLS `ca`. */
  mqttOptions?: Partial<IClientOptions>
}

export interface MqttRepublisher {
  /** Resolves on the first connection to the broker (mqtt.js keeps reconnecting after that). */
  readonly ready: Promise<void>
  stats(): { published: number; dropped: number; inflight: number; connected: boolean }
  stop(): Promise<void>
}

export const DEFAULT_PREFIX = 'stele/verified/{device}/{sensor}'
export const CONTRACTS_PREFIX = 'stele/contracts/'

/** An event name as one topic level: `/`, `+`, `#`, `%` and control characters percent-encoded (UTF-16 units below 0xA0), never empty. */
export function contractTopic(contract: string, name: string): string {
  const level = name.replace(
    /[/+#%\p{Cc}]/gu,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  )
  return `${CONTRACTS_PREFIX}${contract}/${level === '' ? '%00' : level}`
}

/**
 * Republishes every accepted reading to an MQTT broker, one message per reading, so MQTT tools and Node-RED can
 * consume Stele's stamped readings. The payload is the stream's reading event (docs/streaming.md): the reading
 * with its id and status `pending`, and its stream cursor. Readings are never queued for a broker that is away
 * or slow: they are dropped and counted (the stream and the HTTP API keep every one). Contract events go under
 * stele/contracts/{contract}/{event} the same way.
 */
export function startMqttRepublish(init: MqttRepublishInit): MqttRepublisher {
  const pattern = init.prefix ?? DEFAULT_PREFIX
  if (!/\{device\}/.test(pattern) || /[+#]/.test(pattern))
    throw new SteleError(
      'STELE_CONFIG',
      `MQTT republish prefix ${JSON.stringify(pattern)} must contain {device} and no + or # wildcards`,
    )
  const qos = init.qos ?? 0
  const maxBytes = init.maxBufferBytes ?? 4 * 1024 * 1024
  const maxInflight = init.maxInflight ?? 10_000
  const log = init.logger ?? silentLogger
  const counts = { published: 0, dropped: 0, inflight: 0 }
  const client: MqttClient = mqtt.connect(init.url, {
    clientId: init.clientId ?? `stele-republish-${process.pid}`,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    queueQoSZero: false,
    ...init.mqttOptions,
  })
  const ready = new Promise<void>((resolve) => client.once('connect', () => resolve()))
  client.on('connect', () => log.info({ url: init.url }, 'mqtt republish connected'))
  client.on('error', (err) => log.warn({ err: err.message, url: init.url }, 'mqtt republish error'))
  const done = (err?: Error) => {
    counts.inflight--
    if (err) counts.dropped++
    else counts.published++
  }
  const onRecords = (batch: AcceptedBatch, at: Cursor) => {
    const { records, gateway, txHash, acceptSeq } = batch
    const backlog = (client.stream as { writableLength?: number } | undefined)?.writableLength ?? 0
    if (!client.connected || backlog > maxBytes || counts.inflight >= maxInflight) {
      counts.dropped += records.length
      return
    }
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!
      const topic = pattern
        .replaceAll('{device}', r.device)
        .replaceAll('{sensor}', r.sensor)
        .replaceAll('{gateway}', gateway)
      const ev = readingEvent(`${acceptSeq}.${i}.${at.height}`, batch.id(i), r, gateway, txHash, i, null)
      counts.inflight++
      client.publish(topic, ev.json, { qos, retain: init.retain ?? false }, done)
    }
  }
  // Contract events are few (a result's, once it is in a block): published as they come while connected.
  const onContractEvent = (e: ContractEventView) => {
    if (!client.connected || counts.inflight >= maxInflight) {
      counts.dropped++
      return
    }
    counts.inflight++
    const body = JSON.stringify({ type: 'contract-event', event: e })
    client.publish(contractTopic(e.contract, e.name), body, { qos, retain: init.retain ?? false }, done)
  }
  init.hub.on('records', onRecords)
  init.contracts?.on('event', onContractEvent)
  return {
    ready,
    stats: () => ({ ...counts, connected: client.connected }),
    async stop() {
      init.hub.off('records', onRecords)
      init.contracts?.off('event', onContractEvent)
      await client.endAsync()
    },
  }
}
