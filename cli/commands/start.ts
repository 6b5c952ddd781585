import { join } from 'node:path'
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
import { intOption, parse, strOption } from '../args.ts'
import { createLogger } from '../log.ts'
import { nodeTlsOption } from '../node-tls.ts'
import { untilSignal } from '../signals.ts'
import { startSimFleet } from '../sim-fleet.ts'
import { startSummary } from '../summary.ts'
import { brokerSecurityOptions, loopbackTls } from './start-mqtt.ts'
import type { StartNodeInit } from './start-node.ts'
import { spawnNodeThread } from './start-node-thread.ts'
import { startSpec } from './start-spec.ts'

/**
 * `stele start`: node, gateway, embedded broker and a simulated fleet in one process (what `npm start` runs). The
 * node runs in its own thread unless --node-thread=false (start-node-thread.ts).
 */
export async function startCommand(argv: string[]): Promise<number> {
  const p = parse(startSpec, argv)
  if (p === 'help') return -1
  const json = p.values['json'] === true
  const logger = createLogger({ json })
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

  const nodeThread = boolText(strOption(p, 'node-thread') ?? 'true', '--node-thread')

  const stops: (() => Promise<unknown>)[] = []
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((e) => logger.warn({ err: e }, 'error while stopping'))
  }
  // Ends the wait for a signal if the node's thread dies: nothing runs on half alive.
  let nodeFailed = new Promise<Error>(() => {})
  const thread = nodeThread
    ? spawnNodeThread({ log: { json, tty: process.stdout.isTTY === true } })
    : undefined
  if (thread) stops.push(() => thread.close())
  try {
    await run()
  } catch (e) {
    await stopAll()
    throw e
  }
  const failure = await Promise.race([untilSignal(logger).then(() => undefined), nodeFailed])
  if (failure) logger.error({ err: failure }, 'the node thread failed; stopping everything')
  await stopAll()
  return failure ? 1 : 0

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
    if ('failed' in node) nodeFailed = node.failed
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
      { url: node.url, mqtt: broker.url, data, mqttCredentials: localClientsPath(data), nodeThread },
      `Stele is running: node listening on ${node.url} (open it in a browser)`,
    )
  }
}

/** The republisher's username on the embedded broker (the `stele-` prefix is never a device id). */
const REPUBLISH_USER = 'stele-republish'

/** --node-thread true|false. */
function boolText(v: string, flag: string): boolean {
  if (v === 'true') return true
  if (v === 'false') return false
  throw new SteleError('STELE_CONFIG', `${flag} takes true or false, not ${JSON.stringify(v)}`)
}
