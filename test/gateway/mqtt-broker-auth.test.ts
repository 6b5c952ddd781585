/**
 * The embedded broker's authentication, ACL, gateway identity, packet limit and refusals, with real aedes on
 * loopback and real mqtt.js clients (issue 10 items 3, 8 and 10).
 */
import { connect as netConnect, type Socket } from 'node:net'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../core/logger.ts'
import type { Reading } from '../../core/reading.ts'
import { MqttConnector } from '../../gateway/connectors/mqtt/mqtt-connector.ts'
import { DeadLetters } from '../../gateway/dead-letters.ts'
import { type EmbeddedBroker, startEmbeddedBroker } from '../../gateway/embedded-broker.ts'
import { gatewayClientId } from '../../gateway/mqtt-acl.ts'
import { addCredential, credentialsPath, fileCredentialChecker } from '../../gateway/mqtt-credentials.ts'
import { tempDir } from '../helpers/tmp.ts'
import { once, until } from '../helpers/wait.ts'

const GATEWAY_KEY = new Uint8Array(32).fill(0xab)
const GATEWAY_ID = gatewayClientId(GATEWAY_KEY)

describe('embedded broker with credentials', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let broker: EmbeddedBroker
  let letters: DeadLetters
  let tokens: { [user: string]: string }
  const clients: MqttClient[] = []
  const connectors: MqttConnector[] = []

  beforeEach(async () => {
    dir = await tempDir('stele-mqtt-auth-')
    const file = credentialsPath(dir.path)
    tokens = {
      'dev-a': await addCredential(file, 'dev-a', 'device'),
      'dev-b': await addCredential(file, 'dev-b', 'device'),
      [GATEWAY_ID]: await addCredential(file, GATEWAY_ID, 'gateway'),
    }
    letters = new DeadLetters({ logger: silentLogger, now: () => 1 })
    broker = await startEmbeddedBroker({
      port: 0,
      credentials: fileCredentialChecker(file),
      deadLetters: letters,
      maxPacketBytes: 4096,
    })
  })
  afterEach(async () => {
    for (const c of connectors.splice(0)) await c.stop()
    for (const c of clients.splice(0)) await c.endAsync(true)
    await broker.close()
    await dir.cleanup()
  })

  const login = (user: string, extra: Partial<IClientOptions> = {}) => ({
    username: user,
    password: tokens[user]!,
    reconnectPeriod: 0,
    ...extra,
  })
  async function client(opts: Partial<IClientOptions>): Promise<MqttClient> {
    const c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, ...opts })
    clients.push(c)
    return c
  }
  const refusal = (opts: Partial<IClientOptions>) =>
    mqtt.connectAsync(broker.url, { reconnectPeriod: 0, ...opts }).then(
      async (c) => {
        await c.endAsync(true)
        return 'connected'
      },
      (e: Error) => e.message,
    )
  async function gateway(readings: Reading[]): Promise<MqttConnector> {
    const c = new MqttConnector({
      url: broker.url,
      clientId: GATEWAY_ID,
      username: GATEWAY_ID,
      password: tokens[GATEWAY_ID]!,
      deadLetters: letters,
      sink: { push: async (r) => void readings.push(...r) },
    })
    connectors.push(c)
    await c.start({ signal: AbortSignal.timeout(5000) })
    return c
  }

  it('refuses anonymous clients and wrong passwords, accepts a device with its token', async () => {
    expect(await refusal({ clientId: 'nobody' })).toMatch(/not authorized/i)
    expect(await refusal({ username: 'dev-a', password: 'guess' })).toMatch(/bad username or password/i)
    expect(await refusal({ username: 'dev-z', password: tokens['dev-a']! })).toMatch(
      /bad username or password/i,
    )
    expect(await refusal(login('dev-a'))).toBe('connected')
    expect(broker.refused().connect).toBe(3)
  })

  it("refuses a client claiming the gateway's id without the gateway's credentials", async () => {
    expect(await refusal({ clientId: GATEWAY_ID, clean: false })).toMatch(/not authorized/i)
    expect(await refusal(login('dev-a', { clientId: GATEWAY_ID, clean: false }))).toMatch(/not authorized/i)
    // The gateway's own login under another id is refused too: one identity, one session.
    expect(await refusal(login(GATEWAY_ID, { clientId: 'other' }))).toMatch(/not authorized/i)
    expect(await refusal(login(GATEWAY_ID, { clientId: GATEWAY_ID, clean: false }))).toBe('connected')
  })

  it("keeps the gateway's queued readings for the gateway: a takeover attempt gets nothing", async () => {
    const readings: Reading[] = []
    const gw = await gateway(readings)
    await gw.stop() // away: the broker queues for its persistent session
    const dev = await client(login('dev-a', { clientId: 'dev-a' }))
    await dev.publishAsync('stele/dev-a/temp', '21.5', { qos: 1 })
    const thief = await refusal({ clientId: GATEWAY_ID, clean: false })
    expect(thief).toMatch(/not authorized/i)
    await gateway(readings)
    await until(() => readings.length === 1, { what: 'the queued reading delivered to the gateway' })
    expect(readings[0]).toMatchObject({ device: 'dev-a', sensor: 'temp', value: 21.5 })
  })

  it("does not let a device publish under another device's id: not delivered, connection closed, dead letter", async () => {
    const readings: Reading[] = []
    await gateway(readings)
    const dev = await client(login('dev-a', { clientId: 'dev-a' }))
    const closed = once(dev as never, 'close', { what: 'the connection closed' })
    dev.publish('stele/dev-b/temp', '99', { qos: 1 })
    await closed
    const honest = await client(login('dev-b', { clientId: 'dev-b' }))
    await honest.publishAsync('stele/dev-b/temp', '1', { qos: 1 })
    await until(() => readings.length === 1, { what: "dev-b's own reading" })
    expect(readings.map((r) => r.value)).toEqual([1])
    expect(letters.list()).toMatchObject([
      {
        topic: 'stele/dev-b/temp',
        device: 'dev-b',
        payload: '99',
        reason: expect.stringMatching(/dev-a may publish only its own/),
      },
    ])
  })

  it('lets a device read stele/verified/ and its own topics, not the other devices', async () => {
    const dev = await client(login('dev-a', { clientId: 'dev-a' }))
    // mqtt.js rejects a subscription the broker answers with 128 (refused).
    const qos = (topic: string) =>
      dev.subscribeAsync(topic).then(
        (g) => g[0]!.qos,
        () => 128,
      )
    expect(await qos('stele/+/+')).toBe(128)
    expect(await qos('stele/dev-b/#')).toBe(128)
    expect(await qos('#')).toBe(128)
    expect(await qos('stele/verified/#')).toBe(0)
    expect(await qos('stele/dev-a/#')).toBe(0)
    expect(dev.connected).toBe(true)
  })

  it('puts a message with an empty device (stele//t) in the dead letters, and the gateway stays connected', async () => {
    const readings: Reading[] = []
    const gw = await gateway(readings)
    const dev = await client(login('dev-a', { clientId: 'dev-a' }))
    const closed = once(dev as never, 'close', { what: 'the connection closed' })
    dev.publish('stele//t', '5', { qos: 1 })
    await closed
    expect(letters.list()).toMatchObject([
      { topic: 'stele//t', reason: expect.stringMatching(/empty level/) },
    ])
    const again = await client(login('dev-a', { clientId: 'dev-a' }))
    await again.publishAsync('stele/dev-a/t', '6', { qos: 1 })
    await until(() => readings.length === 1, { what: 'the next reading' })
    expect(gw.status().connected).toBe(true)
  })

  it('cuts a client announcing a packet over the limit before its body arrives', async () => {
    const socket: Socket = netConnect(broker.port, '127.0.0.1')
    await once(socket, 'connect')
    const connack = once(socket, 'data', { what: 'CONNACK' })
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: 'dev-a',
        keepalive: 30,
        username: 'dev-a',
        password: Buffer.from(tokens['dev-a']!),
      }),
    )
    expect((await connack)[0]).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]))
    const closed = once(socket, 'close', { what: 'the broker closing the connection' })
    // PUBLISH QoS 0 announcing 64 MiB (remaining length 0x04000000 as four length bytes), then a few bytes.
    socket.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x20, 0x00, 0x05, 0x73, 0x74]))
    await closed
    expect(broker.refused().oversize).toBe(1)
    expect(letters.list()[0]!.reason).toMatch(/packet of 67108869 bytes exceeds 4096/)
  })
})

describe('embedded broker set-up', () => {
  it('will not start with neither credentials nor anonymous access allowed', async () => {
    await expect(startEmbeddedBroker({ port: 0 })).rejects.toThrow(/--mqtt-allow-anonymous/)
  })

  it("with anonymous access allowed, still keeps the gateway's id and stele/verified/ to their owners", async () => {
    const broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
    const refused = await mqtt.connectAsync(broker.url, { clientId: GATEWAY_ID, reconnectPeriod: 0 }).then(
      () => 'connected',
      (e: Error) => e.message,
    )
    expect(refused).toMatch(/not authorized/i)
    const anon = await mqtt.connectAsync(broker.url, { clientId: 'anon', reconnectPeriod: 0 })
    const closed = once(anon as never, 'close', { what: 'the connection closed' })
    anon.publish('stele/verified/dev/t', '{}', { qos: 1 })
    await closed
    await anon.endAsync(true)
    await broker.close()
  })
})
