/**
 * The rest of `stele start` once its options are read and the node's thread (if any) is started: the embedded
 * broker, the gateway, the node (opened in its thread, or here), the simulated fleet and the summary. Every part
 * started is pushed on `stops`, which the caller runs in reverse.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import { toHex } from '../../core/bytes.ts'
import { isSteleError, SteleError } from '../../core/errors.ts'
import type { NodeApi } from '../../core/node-api.ts'
import { deviceIds } from '../../device-sim/fleet.ts'
import { startSerialFleet } from '../../device-sim/start-boards.ts'
import { createFirmataConnector } from '../../gateway/connectors/firmata/firmata-connector.ts'
import { createMqttConnector } from '../../gateway/connectors/mqtt/mqtt-connector.ts'
import { createSerialConnector } from '../../gateway/connectors/serial/serial-connector.ts'
import { DeadLetters } from '../../gateway/dead-letters.ts'
import { startEmbeddedBroker } from '../../gateway/embedded-broker.ts'
import { createGateway } from '../../gateway/gateway.ts'
import { gatewayClientId } from '../../gateway/mqtt-acl.ts'
import { credentialsPath, fileCredentialChecker } from '../../gateway/mqtt-credentials.ts'
import { ensureLocalClients, localClientsPath } from '../../gateway/mqtt-local-clients.ts'
import type { NodeTls } from '../node-tls.ts'
import { startSimFleet } from '../sim-fleet.ts'
import { startSummary } from '../summary.ts'
import { type BrokerSecurity, loopbackTls } from './start-mqtt.ts'
import type { StartedNode, StartNodeInit } from './start-node.ts'
import type { NodeThread, SpawnedNodeThread } from './start-node-thread.ts'

/** `stele start`'s options, read by start.ts. */
export interface StartOptions {
  data: string
  host: string
  port: number
  mqttPort: number
  mqttDevices: number
  boards: number
  rate: number
  seed: number
  blockIntervalMs: number
  security: BrokerSecurity
  httpTls: { tls?: NodeTls }
  json: boolean
}

export async function runStart(
  o: StartOptions & {
    logger: Logger
    stops: (() => Promise<unknown>)[]
    /** The node's thread; absent: the node runs in this thread (--node-thread=false). */
    thread: SpawnedNodeThread | undefined
  },
): Promise<StartedNode | NodeThread> {
  const { data, host, port, mqttPort, mqttDevices, boards, rate, seed, blockIntervalMs, security, httpTls } =
    o
  const { logger, stops, thread } = o
  // Refusals by the broker and by the connector end in one list: GET /v1/gateway/dead-letters.
  const letters = new DeadLetters({ logger: logger.child({ area: 'mqtt' }), now: Date.now })
  const broker = await startEmbeddedBroker({
    port: mqttPort,
    host: '127.0.0.1',
    logger: logger.child({ area: 'broker' }),
    credentials: fileCredentialChecker(credentialsPath(data)),
    deadLetters: letters,
    ...security,
  }).catch((e) => {
    throw isSteleError(e, 'STELE_CONFIG')
      ? new SteleError(
          'STELE_CONFIG',
          `${e.message}; pick another with --mqtt-port <port> (0 picks a free one)`,
        )
      : e
  })
  stops.push(() => broker.close())

  // The gateway is created before the node listens so its status and metrics are part of the node's HTTP app.
  let nodeApi: NodeApi | undefined
  const gateway = await createGateway({
    dataDir: join(data, 'gateway'),
    node: {
      info: (o) => nodeApi!.info(o),
      gatewayTip: (k, o) => nodeApi!.gatewayTip(k, o),
      submitBatches: (b, o) => nodeApi!.submitBatches(b, o),
    },
    logger: logger.child({ area: 'gateway' }),
  })

  // Zero set-up: the gateway, the republisher and the simulated devices get credentials on first run.
  const gatewayId = gatewayClientId(gateway.publicKey)
  const simIds = deviceIds(mqttDevices)
  const tokens = await ensureLocalClients(credentialsPath(data), localClientsPath(data), [
    { username: gatewayId, role: 'gateway' },
    { username: REPUBLISH_USER, role: 'republish' },
    ...simIds.map((username) => ({ username, role: 'device' as const })),
  ])
  const login = (username: string) => ({ username, password: tokens[username] ?? '' })
  const tls = loopbackTls(security.tls?.cert)

  const init: StartNodeInit = {
    data,
    host,
    port,
    blockIntervalMs,
    ...httpTls,
    gateway: toHex(gateway.publicKey),
    sampleContract: true,
    republish: {
      url: broker.url,
      ...login(REPUBLISH_USER),
      ...(security.tls ? { brokerCert: security.tls.cert } : {}),
    },
  }
  const node = thread
    ? await thread.open(init, gateway)
    : // In this thread only when asked: the node's modules are then loaded by its thread alone.
      await (await import('./start-node.ts')).startLocalNode(init, gateway, logger)
  nodeApi = node.api
  stops.push(() => node.close())

  await gateway.start()
  stops.push(() => gateway.stop())
  await gateway.addConnector(
    createMqttConnector({
      url: broker.url,
      sink: gateway.sink,
      logger: logger.child({ area: 'mqtt' }),
      name: 'mqtt',
      clientId: gatewayId,
      deadLetters: letters,
      ...login(gatewayId),
      mqttOptions: tls,
    }),
  )

  if (boards > 0) {
    const fleet = await startSerialFleet({
      lineBoards: boards,
      firmataBoards: boards,
      rate,
      seed,
      log: logger.child({ area: 'sim-serial' }),
    })
    stops.push(() => fleet.stop())
    const comps = {
      sink: gateway.sink,
      log: logger.child({ area: 'serial' }),
      ...(fleet.openSerial ? { openSerial: fleet.openSerial } : {}),
    }
    await gateway.addConnector(createSerialConnector({ name: 'serial', ports: fleet.serialPorts })(comps))
    await gateway.addConnector(
      createFirmataConnector({ name: 'firmata', boards: fleet.firmataBoards })(comps),
    )
    logger.info(
      {
        link: fleet.kind,
        boards: [...fleet.serialPorts.map((s) => s.path), ...fleet.firmataBoards.map((f) => f.path)],
      },
      `simulated boards on ${fleet.kind === 'pty' ? 'pseudo-terminals' : 'an in-process link'}`,
    )
  }
  if (mqttDevices > 0) {
    const sim = await startSimFleet({
      url: broker.url,
      count: mqttDevices,
      rate,
      seed,
      logger,
      credentials: login,
      mqttOptions: tls,
    })
    stops.push(() => sim.stop())
  }
  const summary = startSummary(node, gateway, logger)
  stops.push(async () => summary.stop())
  logger.info(
    {
      url: node.url,
      mqtt: broker.url,
      data,
      mqttCredentials: localClientsPath(data),
      nodeThread: thread !== undefined,
    },
    `Stele is running: node listening on ${node.url} (open it in a browser)`,
  )
  return node
}

/** The republisher's username on the embedded broker (the `stele-` prefix is never a device id). */
const REPUBLISH_USER = 'stele-republish'
