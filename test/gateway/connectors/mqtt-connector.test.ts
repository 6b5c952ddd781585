import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Reading } from '../../../core/reading.ts'
import type { ReadingSink } from '../../../gateway/connectors/connector.ts'
import { MqttConnector, type MqttConnectorInit } from '../../../gateway/connectors/mqtt/mqtt-connector.ts'
import { type EmbeddedBroker, startEmbeddedBroker } from '../../../gateway/embedded-broker.ts'
import { settle, until } from '../../helpers/wait.ts'
import { captureLogger } from '../helpers/logs.ts'

/** A sink whose pushes resolve only when the test says so: stands for the outbox write. */
class HeldSink implements ReadingSink {
  held: { readings: Reading[]; resolve: () => void; reject: (e: unknown) => void }[] = []
  push(readings: Reading[]): Promise<void> {
    return new Promise((resolve, reject) => this.held.push({ readings, resolve, reject }))
  }
  release(): void {
    for (const h of this.held) h.resolve()
  }
  get readings(): Reading[] {
    return this.held.flatMap((h) => h.readings)
  }
}

class OpenSink implements ReadingSink {
  readings: Reading[] = []
  async push(readings: Reading[]): Promise<void> {
    this.readings.push(...readings)
  }
}

describe('MQTT connector', () => {
  let broker: EmbeddedBroker
  let publisher: MqttClient
  const connectors: MqttConnector[] = []
  let acks: Map<string, number>

  beforeEach(async () => {
    broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
    acks = new Map()
    // aedes reports each PUBACK a subscriber sends: the ground truth for "the gateway acknowledged".
    broker.aedes.on('ack', (_packet, client) => acks.set(client.id, (acks.get(client.id) ?? 0) + 1))
    publisher = await mqtt.connectAsync(broker.url, { clientId: 'publisher' })
  })
  afterEach(async () => {
    for (const c of connectors.splice(0)) await c.stop()
    await publisher.endAsync()
    await broker.close()
  })

  async function connect(init: Partial<MqttConnectorInit> & { sink: ReadingSink }) {
    const c = new MqttConnector({ url: broker.url, clientId: 'gw-test', ...init })
    connectors.push(c)
    await c.start({ signal: AbortSignal.timeout(5000) })
    return c
  }
  const pub = (topic: string, payload: string) => publisher.publishAsync(topic, payload, { qos: 1 })

  it('acknowledges a message only after its readings are written', async () => {
    const sink = new HeldSink()
    const c = await connect({ sink })
    await pub('stele/dev-1/temp', '{"value":21.5,"unit":"C","seq":1,"ts":1700000000000}')
    await until(() => sink.held.length === 1, { what: 'reading pushed' })
    expect(sink.readings[0]).toEqual({
      device: 'dev-1',
      sensor: 'temp',
      value: 21.5,
      unit: 'C',
      deviceSeq: 1,
      deviceTime: 1_700_000_000_000,
      source: 'mqtt',
    })
    await settle()
    expect(acks.get('gw-test') ?? 0).toBe(0)
    sink.release()
    await until(() => acks.get('gw-test') === 1, { what: 'PUBACK after the write' })
    expect(c.status()).toMatchObject({ kind: 'mqtt', connected: true, received: 1, readings: 1, errors: 0 })
  })

  it('reads QoS 1 messages off the socket ahead of mqtt.js (mqtt-publish-split.ts), which sees no PUBLISH', async () => {
    const sink = new OpenSink()
    const c = await connect({ sink })
    const seen: string[] = []
    ;(c as unknown as { client: MqttClient }).client.on('packetreceive', (p) => seen.push(p.cmd))
    for (let i = 1; i <= 3; i++) await pub('stele/dev-1/temp', String(i))
    await until(() => acks.get('gw-test') === 3, { what: 'three acknowledged' })
    expect(sink.readings.map((r) => r.value)).toEqual([1, 2, 3])
    expect(seen).not.toContain('publish')
  })

  it('keeps reading while acks are held, up to maxInflight, then pushes back', async () => {
    const sink = new HeldSink()
    await connect({ sink, maxInflight: 5 })
    for (let i = 1; i <= 12; i++) await pub('stele/dev-1/temp', String(i))
    await until(() => sink.held.length === 5, { what: 'five messages in flight' })
    await settle()
    expect(sink.held.length).toBe(5)
    while (sink.held.length < 12) {
      const n = sink.held.length
      sink.release()
      await until(() => sink.held.length > n || sink.held.length === 12, {
        what: 'more messages after release',
      })
    }
    sink.release()
    await until(() => acks.get('gw-test') === 12, { what: 'all acknowledged' })
    expect(sink.readings.map((r) => r.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
  })

  it('gets unwritten messages again after the gateway dies: the broker redelivers to its session', async () => {
    const dying = new HeldSink()
    const first = await connect({ sink: dying, clientId: 'gw-persist', stopTimeoutMs: 1 })
    await pub('stele/dev-2/temp', '{"value":1,"seq":1}')
    await pub('stele/dev-2/temp', '{"value":2,"seq":2}')
    await until(() => dying.held.length === 2, { what: 'both pushed to the dying gateway' })
    await first.stop() // gone before its outbox write finished
    dying.release() // a write finishing after the connection is gone must not ack on another connection
    connectors.splice(connectors.indexOf(first), 1)
    expect(acks.get('gw-persist') ?? 0).toBe(0)

    const sink = new OpenSink()
    const second = await connect({ sink, clientId: 'gw-persist' })
    await until(() => sink.readings.length === 2, { what: 'redelivered to the new session' })
    expect(sink.readings.map((r) => r.deviceSeq)).toEqual([1, 2])
    await until(() => acks.get('gw-persist') === 2, { what: 'acknowledged by the new session' })
    // messages published while the gateway is away are kept for it too
    await second.stop()
    connectors.splice(connectors.indexOf(second), 1)
    await pub('stele/dev-2/temp', '{"value":3,"seq":3}')
    const third = new OpenSink()
    await connect({ sink: third, clientId: 'gw-persist' })
    await until(() => third.readings.length === 1, { what: 'message queued while away' })
  })

  it('acknowledges malformed messages, keeps them as dead letters, logs once per device per interval', async () => {
    const sink = new OpenSink()
    const logger = captureLogger()
    let now = 1_000
    const c = await connect({
      sink,
      logger,
      now: () => now,
      deadLetters: { capacity: 3, logIntervalMs: 60_000 },
    })
    await pub('stele/dev-x/temp', 'not a number')
    await pub('stele/dev-x/temp', '{"value":"warm"}')
    await pub('stele/dev-x/temp', '42')
    await pub('stele/dev-y/temp', '[{"value":1},{"nope":2}]')
    await pub('stele/bad id!/temp', '1')
    await until(() => acks.get('gw-test') === 5, { what: 'all five acknowledged' })
    expect(sink.readings.map((r) => r.value)).toEqual([42])
    const letters = c.deadLetters()
    expect(letters.length).toBe(3) // bounded: the oldest went
    expect(letters.map((l) => l.device)).toEqual(['dev-x', 'dev-y', 'bad id!'])
    expect(letters[1]!.reason).toMatch(/reading 1/)
    expect(c.status().errors).toBe(4)
    const warned = () => logger.lines.filter((l) => l.msg?.includes('malformed'))
    expect(warned().map((l) => (l.obj as { device: string }).device)).toEqual(['dev-x', 'dev-y', 'bad id!'])
    now += 60_000
    await pub('stele/dev-x/temp', 'still broken')
    await until(() => acks.get('gw-test') === 6, { what: 'acknowledged' })
    expect(warned().length).toBe(4)
    expect(warned()[3]!.obj).toMatchObject({ device: 'dev-x', suppressedSinceLast: 1 })
  })

  it('pushes again, still holding the ack, when the sink fails for a passing reason', async () => {
    let failures = 1
    const sink = new OpenSink()
    const flaky: ReadingSink = {
      push(readings) {
        if (failures-- > 0) return Promise.reject(new Error('outbox not open yet'))
        return sink.push(readings)
      },
    }
    await connect({ sink: flaky })
    await pub('stele/dev-4/temp', '5')
    await until(() => sink.readings.length === 1, { what: 'delivered on the second push' })
    await until(() => acks.get('gw-test') === 1, { what: 'acknowledged after it was written' })
  })

  it('takes ten readings in one message as one push', async () => {
    const sink = new OpenSink()
    await connect({ sink })
    const payload = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ value: i, seq: i + 1 })))
    await pub('stele/dev-3/hum', payload)
    await until(() => sink.readings.length === 10, { what: 'ten readings' })
    expect(new Set(sink.readings.map((r) => r.sensor))).toEqual(new Set(['hum']))
    await until(() => acks.get('gw-test') === 1, { what: 'one PUBACK' })
  })
})
