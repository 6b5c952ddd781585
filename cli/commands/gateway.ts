import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import {
  createFirmataConnector,
  type FirmataBoardConfig,
} from '../../gateway/connectors/firmata/firmata-connector.ts'
import { createMqttConnector } from '../../gateway/connectors/mqtt/mqtt-connector.ts'
import { createSerialConnector } from '../../gateway/connectors/serial/serial-connector.ts'
import { createChainNodeClient } from '../../gateway/failover-node-client.ts'
import { createGateway } from '../../gateway/gateway.ts'
import { gatewayClientId } from '../../gateway/mqtt-acl.ts'
import { intOption, listOption, type Parsed, parse, strOption } from '../args.ts'
import { createLogger } from '../log.ts'
import { untilSignal } from '../signals.ts'
import { registerGateway } from './gateway-register.ts'
import { gatewaySpec } from './gateway-spec.ts'

/** A serial argument: a path, `usb:VID:PID` or `sn:SERIAL`. */
function serialPort(arg: string, baudRate: number) {
  const [kind, a, b] = arg.split(':')
  if (kind === 'usb' && a && b) return { name: arg, baudRate, match: { vendorId: a, productId: b } }
  if (kind === 'sn' && a) return { name: arg, baudRate, match: { serialNumber: a } }
  return { name: arg, path: arg, baudRate }
}

/** A Firmata pin map: one board object or an array of them. */
async function readFirmataBoards(file: string): Promise<FirmataBoardConfig[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    throw new SteleError('STELE_CONFIG', `cannot read --firmata ${file}: ${(e as Error).message}`, {
      cause: e,
    })
  }
  const boards = Array.isArray(parsed) ? parsed : [parsed]
  for (const [i, b] of boards.entries()) {
    const o = b as { device?: unknown; sensors?: unknown }
    if (typeof o?.device !== 'string' || !Array.isArray(o.sensors))
      throw new SteleError(
        'STELE_CONFIG',
        `--firmata ${file}: board ${i} needs a device id and a sensors list`,
      )
  }
  return boards as FirmataBoardConfig[]
}

/** --mqtt-username, --mqtt-password (or STELE_MQTT_PASSWORD, kept out of `ps`) and --mqtt-ca. */
async function mqttLogin(p: Parsed): Promise<{ username?: string; password?: string; ca?: Uint8Array }> {
  const username = strOption(p, 'mqtt-username')
  const password = strOption(p, 'mqtt-password') ?? process.env['STELE_MQTT_PASSWORD']
  const ca = strOption(p, 'mqtt-ca')
  return {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined
      ? {
          ca: await readFile(ca).catch((cause) => {
            throw new SteleError('STELE_CONFIG', `cannot read --mqtt-ca ${ca}: ${(cause as Error).message}`, {
              cause,
            })
          }),
        }
      : {}),
  }
}

export async function gatewayCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(gatewaySpec, argv)
  if (p === 'help') return -1
  if (p.positionals[0] === 'register') return registerGateway(p, out)
  const logger = createLogger({ json: p.values['json'] === true })
  const nodeUrls = listOption(p, 'node')
  if (nodeUrls.length === 0) nodeUrls.push('http://127.0.0.1:8080')
  const nodeUrl = nodeUrls.join(' ')
  // The --node addresses are the bootstrap: the nodes in use are the ones the chain lists (GET /v1/nodes).
  const nodes = createChainNodeClient({ bootstrap: nodeUrls, logger: logger.child({ area: 'nodes' }) })
  const gateway = await createGateway({
    dataDir: join(strOption(p, 'data') ?? '.stele', 'gateway'),
    node: nodes,
    outbox: { maxBatches: intOption(p, 'outbox-max-batches', 1, 10_000_000) },
    logger: logger.child({ area: 'gateway' }),
  })
  if (gateway.keyCreated)
    logger.warn(
      `new gateway key ${toHex(gateway.publicKey)}: register it on the node with 'stele gateway register --node ${nodeUrl} --key ${toHex(gateway.publicKey)} --authority <node.key>'`,
    )
  await nodes.start()
  await gateway.start()
  const mqtt = strOption(p, 'mqtt')
  if (mqtt)
    await gateway.addConnector(
      createMqttConnector({
        url: mqtt,
        sink: gateway.sink,
        topic: strOption(p, 'topic') ?? 'stele/{device}/{sensor}',
        // Unique per gateway key: nobody else inherits this gateway's persistent session by reusing its id.
        clientId: gatewayClientId(gateway.publicKey),
        logger,
        ...(await mqttLogin(p)),
      }),
    )
  const serial = strOption(p, 'serial')
  if (serial) {
    const baud = intOption(p, 'baud', 300, 4_000_000)
    const ports = serial
      .split(',')
      .filter(Boolean)
      .map((s) => serialPort(s, baud))
    await gateway.addConnector(
      createSerialConnector({ name: 'serial', ports })({ sink: gateway.sink, log: logger }),
    )
  }
  const firmata = strOption(p, 'firmata')
  if (firmata) {
    const boards = await readFirmataBoards(firmata)
    await gateway.addConnector(
      createFirmataConnector({ name: 'firmata', boards })({ sink: gateway.sink, log: logger }),
    )
  }
  if (!mqtt && !serial && !firmata)
    logger.warn('no --mqtt, --serial or --firmata: the gateway has no sources')
  logger.info({ gateway: toHex(gateway.publicKey), node: nodeUrl }, 'gateway running')
  const timer = setInterval(() => {
    const s = gateway.status()
    logger.info(
      {
        outbox: s.outbox?.batches,
        submitted: s.submitter?.batches,
        node: s.submitter?.node,
        nodes: nodes.addresses,
        lastError: s.lastError,
      },
      'gateway',
    )
  }, 5000)
  await untilSignal(logger)
  clearInterval(timer)
  nodes.stop()
  await gateway.stop()
  return 0
}
