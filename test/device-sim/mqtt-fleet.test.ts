import mqtt from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { deviceIds, startMqttFleet } from '../../device-sim/fleet.ts'
import { parsePayload } from '../../gateway/connectors/mqtt/mqtt-payload.ts'
import { type EmbeddedBroker, startEmbeddedBroker } from '../../gateway/embedded-broker.ts'
import { addCredential, credentialsPath, fileCredentialChecker } from '../../gateway/mqtt-credentials.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'

describe('simulated MQTT fleet', () => {
  let broker: EmbeddedBroker
  let received: { topic: string; payload: string }[]
  let sub: mqtt.MqttClient
  beforeEach(async () => {
    broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
    received = []
    sub = await mqtt.connectAsync(broker.url, { clientId: 'listener' })
    await sub.subscribeAsync('stele/+/+', { qos: 1 })
    sub.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }))
  })
  afterEach(async () => {
    await sub.endAsync()
    await broker.close()
  })

  it('names devices sim-mqtt-01.. and widens the number for big fleets', () => {
    expect(deviceIds(3)).toEqual(['sim-mqtt-01', 'sim-mqtt-02', 'sim-mqtt-03'])
    expect(deviceIds(100)[99]).toBe('sim-mqtt-100')
    expect(deviceIds(100)[0]).toBe('sim-mqtt-001')
  })

  async function run(opts: { readingsPerMessage?: number; seed?: number } = {}) {
    received = []
    const fleet = await startMqttFleet({
      url: broker.url,
      count: 3,
      rateHz: 200,
      seed: opts.seed ?? 11,
      maxMessages: 10,
      doorEvents: false,
      now: () => Date.UTC(2024, 5, 1, 12),
      ...(opts.readingsPerMessage ? { readingsPerMessage: opts.readingsPerMessage } : {}),
    })
    await fleet.done()
    await until(() => received.length === 30, { what: 'thirty messages at the listener' })
    await fleet.stop()
    return { stats: fleet.stats(), messages: received.slice() }
  }

  it('publishes at QoS 1 with device seq and time that the gateway parser accepts', async () => {
    const { stats, messages } = await run()
    expect(stats).toMatchObject({ devices: 3, sent: 30, acked: 30, readingsAcked: 30, errors: 0 })
    const bySeq = new Map<string, number[]>()
    for (const m of messages) {
      const [, device, sensor] = m.topic.split('/')
      expect(['temp', 'humidity', 'light']).toContain(sensor)
      const parsed = parsePayload(Buffer.from(m.payload), device!, sensor)
      expect(parsed.ok).toBe(true)
      if (!parsed.ok) continue
      const r = parsed.readings[0]!
      expect(r.deviceTime).toBe(Date.UTC(2024, 5, 1, 12))
      bySeq.set(device!, [...(bySeq.get(device!) ?? []), r.deviceSeq!])
    }
    expect([...bySeq.keys()].sort()).toEqual(['sim-mqtt-01', 'sim-mqtt-02', 'sim-mqtt-03'])
    for (const seqs of bySeq.values()) expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('sends several readings per message and repeats its values for a seed', async () => {
    const a = await run({ readingsPerMessage: 10, seed: 5 })
    expect(a.stats.readingsAcked).toBe(300)
    const first = JSON.parse(a.messages[0]!.payload)
    expect(Array.isArray(first) && first.length === 10).toBe(true)
    const b = await run({ readingsPerMessage: 10, seed: 5 })
    const key = (ms: typeof a.messages) => ms.map((m) => `${m.topic} ${m.payload}`).sort()
    expect(key(b.messages)).toEqual(key(a.messages))
  })
})

describe('simulated MQTT fleet on a broker with per-device credentials', () => {
  it('logs each device in with its own token, and fails to start without them', async () => {
    const dir = await tempDir('stele-fleet-auth-')
    const file = credentialsPath(dir.path)
    const tokens = new Map<string, string>()
    for (const id of deviceIds(2)) tokens.set(id, await addCredential(file, id, 'device'))
    const broker = await startEmbeddedBroker({ port: 0, credentials: fileCredentialChecker(file) })
    const base = { url: broker.url, count: 2, rateHz: 100, seed: 1, maxMessages: 3, doorEvents: false }
    try {
      const fleet = await startMqttFleet({
        ...base,
        credentials: (id) => ({ username: id, password: tokens.get(id)! }),
      })
      await fleet.done()
      expect(fleet.stats()).toMatchObject({ acked: 6, errors: 0 })
      await fleet.stop()
      await expect(startMqttFleet({ ...base, mqttOptions: { reconnectPeriod: 0 } })).rejects.toThrow(
        /not authorized/i,
      )
    } finally {
      await broker.close()
      await dir.cleanup()
    }
  })
})
