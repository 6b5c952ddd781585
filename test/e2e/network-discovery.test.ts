import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerTestnetNodes } from '../../cli/commands/testnet-register.ts'
import type { TestnetLayout } from '../../cli/commands/testnet-setup.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { writeKeyFile } from '../../core/key-file.ts'
import { type EmbeddedBroker, startEmbeddedBroker } from '../../gateway/embedded-broker.ts'
import { GATEWAY_KEY_FILE } from '../../gateway/keys.ts'
import { gatewayClientId } from '../../gateway/mqtt-acl.ts'
import { addCredential, credentialsPath, fileCredentialChecker } from '../../gateway/mqtt-credentials.ts'
import { type SteleProcess, spawnStele } from '../helpers/spawn-stele.ts'
import { tempDir } from '../helpers/tmp.ts'
import { until } from '../helpers/wait.ts'
import { getJson, layoutTestnet, registerGateway, startNodes, urlOf } from './network-helpers.ts'

/**
 * Discovery from the chain with real processes: three `stele node`s whose HTTP endpoints the authority registered
 * (as `stele testnet` does), and a real `stele gateway` given node A's address only.
 */
describe('a gateway bootstrapped with one node', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let layout: TestnetLayout
  let nodes: (SteleProcess | undefined)[] = []
  let gateway: SteleProcess | undefined
  let broker: EmbeddedBroker | undefined
  let device: mqtt.MqttClient | undefined

  beforeAll(async () => {
    dir = await tempDir('stele-discovery-')
    layout = await layoutTestnet(dir.path, 3)
    nodes = await startNodes(layout, 3)
  }, 60_000)

  afterAll(async () => {
    await device?.endAsync()
    await gateway?.kill('SIGKILL')
    await broker?.close()
    await Promise.all(nodes.map((p) => p?.kill('SIGKILL')))
    await dir?.cleanup()
  })

  const readingsAtB = async () =>
    ((await getJson(`${urlOf(layout, 1)}/v1/devices/dev-1/readings?limit=1000`)).body?.items ?? []) as {
      id: string
    }[]

  async function publish(from: number, to: number): Promise<void> {
    for (let seq = from; seq <= to; seq++)
      await device!.publishAsync('stele/dev-1/temp', JSON.stringify({ value: seq / 10, seq }), { qos: 1 })
  }

  it('learns B and C from the chain, and once A is killed stores every reading once through them', async () => {
    const producersBefore = (await getJson(`${urlOf(layout, 0)}/v1/health`)).body.producers
    expect(await registerTestnetNodes(urlOf(layout, 0), layout)).toBe(3)
    const httpOf = (n: { endpoints: string[] }) => n.endpoints.filter((e) => e.startsWith('http'))
    await until(
      async () => {
        const listed = (await getJson(`${urlOf(layout, 0)}/v1/nodes`)).body?.nodes ?? []
        return listed.length === 3 && listed.every((n: { endpoints: string[] }) => httpOf(n).length === 1)
      },
      { what: 'every node’s HTTP endpoint on chain', timeoutMs: 15_000, everyMs: 200 },
    )
    // Registering genesis producers with the producer role kept leaves the producer set as it was.
    expect((await getJson(`${urlOf(layout, 1)}/v1/health`)).body.producers).toEqual(producersBefore)

    const data = join(dir.path, 'gw')
    const key = generateKeyPair()
    await mkdir(join(data, 'gateway'), { recursive: true })
    await writeKeyFile(join(data, 'gateway', GATEWAY_KEY_FILE), key)
    await registerGateway(layout, key.publicKey)
    // Devices are anonymous; the gateway's client id is reserved and needs its login.
    const id = gatewayClientId(key.publicKey)
    const token = await addCredential(credentialsPath(data), id, 'gateway')
    broker = await startEmbeddedBroker({
      port: 0,
      host: '127.0.0.1',
      allowAnonymous: true,
      credentials: fileCredentialChecker(credentialsPath(data)),
    })
    gateway = spawnStele([
      'gateway',
      '--data',
      data,
      '--node',
      urlOf(layout, 0),
      '--mqtt',
      broker.url,
      '--mqtt-username',
      id,
      `--mqtt-password=${token}`,
    ])
    const learned = await gateway.waitFor(
      (l) => l['msg'] === 'gateway nodes from the chain' && (l['nodes'] as string[]).length === 3,
      'the gateway learns the other nodes',
      20_000,
    )
    expect([...(learned['nodes'] as string[])].sort()).toEqual([0, 1, 2].map((i) => urlOf(layout, i)).sort())
    await gateway.waitFor((l) => l['msg'] === 'gateway running', 'gateway running')

    device = await mqtt.connectAsync(broker.url, { clientId: 'dev-1', reconnectPeriod: 100 })
    await publish(1, 5)
    await until(async () => (await readingsAtB()).length === 5, {
      what: 'the first readings at B',
      timeoutMs: 20_000,
      everyMs: 200,
    })

    await nodes[0]!.kill('SIGKILL')
    nodes[0] = undefined
    await publish(6, 12)
    await gateway.waitFor((l) => l['msg'] === 'node unreachable: trying the next one', 'failover', 20_000)
    await until(async () => (await readingsAtB()).length >= 12, {
      what: 'every reading at B after A died',
      timeoutMs: 20_000,
      everyMs: 200,
    })
    const got = await readingsAtB()
    expect(got).toHaveLength(12)
    expect(new Set(got.map((r) => r.id)).size).toBe(12)
    for (const r of got)
      await until(
        async () => (await getJson(`${urlOf(layout, 1)}/v1/readings/${r.id}/proof`)).status === 200,
        {
          what: `proof of ${r.id} at B`,
          timeoutMs: 15_000,
          everyMs: 200,
        },
      )
  }, 90_000)
})
