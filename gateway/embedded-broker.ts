/**
 * An aedes MQTT broker inside the gateway process, for the default set-up where simulated devices and the
 * gateway share one machine. Real deployments point the gateway at Mosquitto or EMQX instead. Sessions and
 * queued messages live in memory: they survive a gateway restart only as long as this process does. (Durable
 * sessions through aedes-persistence-level were tried and dropped: with aedes 1.2 they lost about 2% of QoS 1
 * messages to a persistent subscriber even with no fault at all. Use Mosquitto with persistence where the broker
 * must survive restarts.)
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import { SteleError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'

export interface EmbeddedBrokerInit {
  /** Default 127.0.0.1: the broker has no authentication, so it is not exposed unless asked. */
  host?: string
  /** 0 picks a free port; the one chosen is in `port` of the result. */
  port?: number
  logger?: Logger
}

export interface EmbeddedBroker {
  host: string
  port: number
  /** mqtt://host:port */
  url: string
  /** Clients connected now. */
  clients(): number
  /** The aedes instance, for its events ('ack', 'client', 'publish') in status pages and tests. */
  aedes: Aedes
  close(): Promise<void>
}

export async function startEmbeddedBroker(init: EmbeddedBrokerInit = {}): Promise<EmbeddedBroker> {
  const host = init.host ?? '127.0.0.1'
  const logger = init.logger ?? silentLogger
  const aedes = await Aedes.createBroker()
  aedes.on('clientError', (client, err) =>
    logger.debug({ client: client?.id, err: err.message }, 'mqtt client error'),
  )
  const server: Server = createServer(aedes.handle)
  try {
    server.listen(init.port ?? 0, host)
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => {
        throw err
      }),
    ])
  } catch (cause) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    const code = (cause as NodeJS.ErrnoException).code
    throw new SteleError(
      'STELE_CONFIG',
      code === 'EADDRINUSE'
        ? `MQTT port ${init.port} on ${host} is already in use; choose another port`
        : `cannot listen for MQTT on ${host}:${init.port}: ${(cause as Error).message}`,
      { cause, details: { host, port: init.port } },
    )
  }
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : (init.port ?? 0)
  logger.info({ host, port }, 'embedded mqtt broker listening')
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    clients: () => aedes.connectedClients,
    aedes,
    async close() {
      // Stop accepting, then close aedes, which ends every client connection so server.close can finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await closed
    },
  }
}
