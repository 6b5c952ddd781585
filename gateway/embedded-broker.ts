/**
 * An aedes MQTT broker inside the gateway process, for the default set-up where simulated devices and the
 * gateway share one machine. Real deployments point the gateway at Mosquitto or EMQX instead. With
 * `persistenceDir`, sessions, subscriptions and queued QoS 1 messages live in LevelDB (aedes-persistence-level), so a
 * message the broker acknowledged to a device survives a broker restart, as with Mosquitto's persistence; without
 * it they live in memory only.
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import levelPersistence from 'aedes-persistence-level'
import { ClassicLevel } from 'classic-level'
import { SteleError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'

export interface EmbeddedBrokerInit {
  /** Default 127.0.0.1: the broker has no authentication, so it is not exposed unless asked. */
  host?: string
  /** 0 picks a free port; the one chosen is in `port` of the result. */
  port?: number
  logger?: Logger
  /** Folder for durable sessions and queued messages (LevelDB); in memory when absent. */
  persistenceDir?: string
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
  let db: ClassicLevel<string, Uint8Array> | undefined
  if (init.persistenceDir) {
    db = new ClassicLevel<string, Uint8Array>(init.persistenceDir, { valueEncoding: 'view' })
    try {
      await db.open()
    } catch (cause) {
      throw new SteleError(
        'STELE_STORAGE',
        `cannot open the broker's store at ${init.persistenceDir}: is another broker using it?`,
        {
          cause,
        },
      )
    }
  }
  const aedes = await Aedes.createBroker(db ? { persistence: levelPersistence(db) } : {})
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
    await db?.close()
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
  logger.info({ host, port, durable: db !== undefined }, 'embedded mqtt broker listening')
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
      await db?.close()
    },
  }
}
