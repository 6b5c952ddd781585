/**
 * The node's side of `stele start`: the node with its HTTP API (and the gateway's status routes), the embedded
 * gateway registered with the local chain authority, the sample contract, and the MQTT republisher. The same code
 * runs in the main thread (`--node-thread=false`) or in the node's own thread (start-node-worker.ts).
 */
import type { Logger } from 'pino'
import type { NodeApi } from '../../core/node-api.ts'
import { startMqttRepublish } from '../../node/stream/mqtt-republish.ts'
import { type GatewayStatusSource, gatewayMetrics, gatewayStatusRoutes } from '../gateway-status.ts'
import { runNode } from '../run-node.ts'
import type { NodeProgress } from '../summary.ts'
import { deploySampleContract } from './contract-sample.ts'
import { loopbackTls } from './start-mqtt.ts'

/** Everything the node's side needs; plain data, so it can be handed to a worker thread. */
export interface StartNodeInit {
  data: string
  host: string
  port: number
  blockIntervalMs: number
  tls?: { cert: Uint8Array; key: Uint8Array }
  /** Hex key of the embedded gateway: registered with the local chain authority on first run. */
  gateway?: string
  /** Deploy the sample contract on first run. */
  sampleContract?: boolean
  /** Republish accepted readings to the embedded broker with this login (`brokerCert`: its mqtts:// certificate). */
  republish?: { url: string; username: string; password: string; brokerCert?: string | Uint8Array }
  recordsPerSecPerGateway?: number
}

export interface StartedNode {
  url: string
  /** The node as the gateway sees it (in this thread: the node object itself). */
  api: NodeApi
  progress(): NodeProgress
  /** Produces a block now (benchmarks: the last readings confirmed). */
  produce(): Promise<void>
  close(): Promise<void>
}

export async function startLocalNode(
  init: StartNodeInit,
  gateway: GatewayStatusSource | undefined,
  logger: Logger,
): Promise<StartedNode> {
  const running = await runNode({
    data: init.data,
    host: init.host,
    port: init.port,
    blockIntervalMs: init.blockIntervalMs,
    logger,
    ...(init.tls ? { tls: { cert: Buffer.from(init.tls.cert), key: Buffer.from(init.tls.key) } } : {}),
    ...(init.recordsPerSecPerGateway ? { recordsPerSecPerGateway: init.recordsPerSecPerGateway } : {}),
    ...(gateway ? { metrics: gatewayMetrics(gateway), plugins: [gatewayStatusRoutes(gateway)] } : {}),
  })
  const stops: (() => Promise<unknown>)[] = [() => running.close()]
  const close = async () => {
    for (const stop of stops.reverse())
      await stop().catch((err) => logger.warn({ err }, 'error while stopping'))
  }
  try {
    const node = running.node
    if (init.gateway && !node.state.gateways.has(init.gateway)) {
      await node.registerGateway(init.gateway, 'embedded gateway')
      logger.info({ gateway: init.gateway }, 'registered the embedded gateway with the local chain authority')
    }
    if (init.sampleContract) await deploySampleContract(node, logger.child({ area: 'contracts' }))
    if (init.republish) {
      // Stamped, proven readings back onto the broker for MQTT tools and Node-RED (stele/verified/{device}/{sensor}).
      const { url, username, password, brokerCert } = init.republish
      const republish = startMqttRepublish({
        url,
        hub: node.stream,
        contracts: node.contracts,
        logger: logger.child({ area: 'mqtt-out' }),
        mqttOptions: { username, password, ...loopbackTls(brokerCert) },
      })
      stops.push(() => republish.stop())
    }
    return {
      url: running.url,
      api: node,
      progress: () => ({
        records: node.ingest.counters.records,
        devices: node.devices.size,
        height: node.state.tip.height,
        pending: node.mempool.size,
      }),
      produce: async () => {
        await node.producer.produce()
      },
      close,
    }
  } catch (e) {
    await close()
    throw e
  }
}
