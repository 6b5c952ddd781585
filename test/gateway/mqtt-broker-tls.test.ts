/**
 * MQTT over TLS: the embedded broker with --mqtt-tls-cert/--mqtt-tls-key, a device and the gateway's
 * connector on mqtts:// trusting it through `ca`. The certificate is made by the openssl command in a temp folder
 * for this run (test/helpers/tls-cert.ts).
 */
import { connect as netConnect } from 'node:net'
import mqtt from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Reading } from '../../core/reading.ts'
import { MqttConnector } from '../../gateway/connectors/mqtt/mqtt-connector.ts'
import { type EmbeddedBroker, startEmbeddedBroker } from '../../gateway/embedded-broker.ts'
import { gatewayClientId } from '../../gateway/mqtt-acl.ts'
import { addCredential, credentialsPath, fileCredentialChecker } from '../../gateway/mqtt-credentials.ts'
import { makeTestCert } from '../helpers/tls-cert.ts'
import { tempDir } from '../helpers/tmp.ts'
import { once, until } from '../helpers/wait.ts'

describe('embedded broker over TLS (certificate made by the openssl command)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let broker: EmbeddedBroker
  let cert: Buffer
  const gwId = gatewayClientId(new Uint8Array(32).fill(7))
  const tokens: { [user: string]: string } = {}

  beforeAll(async () => {
    dir = await tempDir('stele-mqtt-tls-')
    const made = await makeTestCert(dir.path)
    cert = made.cert
    const file = credentialsPath(dir.path)
    tokens['dev-a'] = await addCredential(file, 'dev-a', 'device')
    tokens[gwId] = await addCredential(file, gwId, 'gateway')
    broker = await startEmbeddedBroker({
      port: 0,
      credentials: fileCredentialChecker(file),
      tls: { cert, key: made.key },
    })
  })
  afterAll(async () => {
    await broker?.close()
    await dir?.cleanup()
  })

  it('carries a reading from a device to the gateway over mqtts://, and refuses a client that does not trust the certificate', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/)
    const readings: Reading[] = []
    const gw = new MqttConnector({
      url: broker.url,
      clientId: gwId,
      username: gwId,
      password: tokens[gwId]!,
      ca: cert,
      sink: { push: async (r) => void readings.push(...r) },
    })
    await gw.start({ signal: AbortSignal.timeout(5000) })
    const dev = await mqtt.connectAsync(broker.url, {
      username: 'dev-a',
      password: tokens['dev-a']!,
      ca: cert,
      reconnectPeriod: 0,
    })
    await dev.publishAsync('stele/dev-a/temp', '20.5', { qos: 1 })
    await until(() => readings.length === 1, { what: 'the reading over TLS' })
    expect(readings[0]).toMatchObject({ device: 'dev-a', value: 20.5 })
    const untrusting = await mqtt
      .connectAsync(broker.url, { username: 'dev-a', password: tokens['dev-a']!, reconnectPeriod: 0 })
      .then(
        () => 'connected',
        (e: Error) => e.message,
      )
    expect(untrusting).toMatch(/self[- ]signed/i)
    // Plain MQTT on the TLS port is not a TLS handshake: the broker drops the connection.
    const plain = netConnect(broker.port, '127.0.0.1')
    const closed = once(plain, 'close', { what: 'the plain connection closed' })
    plain.on('error', () => undefined)
    plain.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: 'x',
        keepalive: 30,
      }),
    )
    await closed
    await dev.endAsync()
    await gw.stop()
  })
})
