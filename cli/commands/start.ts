import { join } from 'node:path'
import type { Logger } from 'pino'
import { toHex } from '../../core/bytes.ts'
import { isSteleError, SteleError } from '../../core/errors.ts'
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
import { startMqttRepublish } from '../../node/stream/mqtt-republish.ts'
import { intOption, parse, strOption } from '../args.ts'
import { gatewayMetrics, gatewayStatusRoutes } from '../gateway-status.ts'
import { createLogger } from '../log.ts'
import { nodeTlsOption, runNode } from '../run-node.ts'
import { untilSignal } from '../signals.ts'
import { startSimFleet } from '../sim-fleet.ts'
import { startSummary } from '../summary.ts'
import { deploySampleContract } from './contract-sample.ts'
import { brokerSecurityOptions, loopbackTls } from './start-mqtt.ts'
import { startSpec } from './start-spec.ts'

/** `stele start`: node, gateway, embedded broker and a simulated fleet in one process (what `npm start` runs). */
export async function startCommand(argv: string[]): Promise<number> {
  const p = parse(startSpec, argv)
  if (p === 'help') return -1
  const logger = createLogger({ json: p.values['json'] === true })
  const data = strOption(p, 'data') ?? '.stele'
  const host = strOption(p, 'host') ?? '127.0.0.1'
  const port = intOption(p, 'port', 0, 65535)
  const mqttPort = intOption(p, 'mqtt-port', 0, 65535)
  const mqttDevices = intOption(p, 'mqtt-devices', 0, 10_000)
  const boards = intOption(p, 'boards', 0, 100)
  const rate = intOption(p, 'rate', 1, 1000)
  const seed = intOption(p, 'seed', 0, 2 ** 31)
  const blockIntervalMs = intOption(p, 'block-interval', 10, 3_600_000)
  const security = await brokerSecurityOptions(p)
  const httpTls = await nodeTlsOption(p)

  const stops: (() => Promise<unknown>)[] = []
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((e) => logger.warn({ err: e }, 'error while stopping'))
  }
  try {
    await run()
  } catch (e) {
    await stopAll()
    throw e
  }
  await untilSignal(logger)
  await stopAll()
  return 0

  async function run(): Promise<void> {
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

    // The gateway is created before the node listens so its status and metrics are part of the same HTTP app.
    let nodeRef: Awaited<ReturnType<typeof runNode>>['node'] | undefined
    const gateway = await createGateway({
      dataDir: join(data, 'gateway'),
      node: {
        info: () => nodeRef!.info(),
        gatewayTip: (k) => nodeRef!.gatewayTip(k),
        submitBatches: (b) => nodeRef!.submitBatches(b),
      },
      logger: logger.child({ area: 'gateway' }),
    })
    const running = await runNode({
      ...httpTls,
      data,
      host,
      port,
      blockIntervalMs,
      logger,
      metrics: gatewayMetrics(gateway),
      plugins: [gatewayStatusRoutes(gateway)],
    })
    nodeRef = running.node
    stops.push(() => running.close())
    await registerEmbeddedGateway(running.node, gateway.publicKey, logger)
    await deploySampleContract(running.node, logger.child({ area: 'contracts' }))

    // Zero set-up: the gateway, the republisher and the simulated devices get credentials on first run.
    const gatewayId = gatewayClientId(gateway.publicKey)
    const simIds = deviceIds(mqttDevices)
    const tokens = await ensureLocalClients(credentialsPath(data), localClientsPath(data), [
      { username: gatewayId, role: 'gateway' },
      { username: REPUBLISH_USER, role: 'republish' },
      ...simIds.map((username) => ({ username, role: 'device' as const })),
    ])
    const login = (username: string) => ({ username, password: tokens[username] ?? '' })
    const tls = loopbackTls(security)

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
    // Stamped, proven readings back onto the broker for MQTT tools and Node-RED (stele/verified/{device}/{sensor}).
    const republish = startMqttRepublish({
      url: broker.url,
      hub: running.node.stream,
      contracts: running.node.contracts,
      logger: logger.child({ area: 'mqtt-out' }),
      mqttOptions: { ...login(REPUBLISH_USER), ...tls },
    })
    stops.push(() => republish.stop())
    const summary = startSummary(running.node, gateway, logger)
    stops.push(async () => summary.stop())
    logger.info(
      { url: running.url, mqtt: broker.url, data, mqttCredentials: localClientsPath(data) },
      `Stele is running: node listening on ${running.url} (open it in a browser)`,
    )
  }
}

/** The republisher's username on the embedded broker (the `stele-` prefix is never a device id). */
const REPUBLISH_USER = 'stele-republish'

async function registerEmbeddedGateway(
  node: { state: { gateways: Map<string, unknown> }; registerGateway(k: string, n: string): Promise<string> },
  key: Uint8Array,
  logger: Logger,
): Promise<void> {
  const hex = toHex(key)
  if (node.state.gateways.has(hex)) return
  await node.registerGateway(hex, 'embedded gateway')
  logger.info({ gateway: hex }, 'registered the embedded gateway with the local chain authority')
}
