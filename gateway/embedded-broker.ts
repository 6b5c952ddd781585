/**
 * An aedes MQTT broker inside the gateway process, for the default set-up where simulated devices and the
 * gateway share one machine. Real deployments point the gateway at Mosquitto or EMQX instead. Sessions and
 * queued messages live in memory: they survive a gateway restart only as long as this process does. (Durable
 * sessions through aedes-persistence-level were tried and dropped: with aedes 1.2 they lost about 2% of QoS 1
 * messages to a persistent subscriber even with no fault at all. Use Mosquitto with persistence where the broker
 * must survive restarts.)
 *
 * Every client authenticates (gateway/mqtt-credentials.ts) unless `allowAnonymous`; the client ids and topics
 * each may use are in gateway/mqtt-acl.ts. A refused publish closes the client's connection (MQTT 3.1.1 has no
 * negative PUBACK) and goes to `deadLetters` with the reason; packets over `maxPacketBytes` are cut before
 * they are buffered (gateway/mqtt-packet-limit.ts). With `tls` the broker speaks only MQTT over TLS.
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { Aedes, type AuthenticateError, type Client } from 'aedes'
import { SteleError } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import { indexedOutgoingPersistence } from './aedes-outgoing.ts'
import { DEFAULT_TOPIC_PATTERN, parseTopicPattern } from './connectors/mqtt/mqtt-topic.ts'
import type { DeadLetterSink } from './dead-letters.ts'
import { clientIdRefusal, type MqttIdentity, publishRefusal, subscribeAllowed } from './mqtt-acl.ts'
import type { CredentialChecker } from './mqtt-credentials.ts'
import { limitClientPackets } from './mqtt-packet-limit.ts'

export const DEFAULT_MAX_PACKET_BYTES = 64 * 1024

export interface EmbeddedBrokerInit {
  /** Default 127.0.0.1. */
  host?: string
  /** 0 picks a free port; the one chosen is in `port` of the result. */
  port?: number
  logger?: Logger
  /** Checks each CONNECT's username and password. */
  credentials?: CredentialChecker
  /** Lets clients without a username in (no ACL beyond well-formed topics). Default false. */
  allowAnonymous?: boolean
  /** Largest MQTT packet accepted, header included; default 64 KiB. */
  maxPacketBytes?: number
  /** PEM certificate chain and key: the broker then speaks MQTT over TLS only (mqtts://). */
  tls?: { cert: string | Uint8Array; key: string | Uint8Array }
  /** The topic pattern devices publish readings on; default stele/{device}/{sensor}. */
  topic?: string
  /** Refused publishes and oversize packets, with the reason. */
  deadLetters?: DeadLetterSink
  /**
   * Messages aedes delivers to subscribers at once (its `concurrency`); default 1000. Each QoS 1 delivery waits a
   * turn of the event loop (aedes' setImmediate), so aedes' own default of 100 capped the gateway's subscription at
   * 100 messages a turn: under load 1,800 of the fleet's 2,000 messages waited in aedes' queue, and 1,000 measured
   * 9% more readings/s at 1 reading/message with less CPU per reading (docs/performance.md, session 6).
   */
  deliveryConcurrency?: number
}

export interface EmbeddedBroker {
  host: string
  port: number
  /** mqtt://host:port, or mqtts:// with TLS */
  url: string
  /** Clients connected now. */
  clients(): number
  /** Connections and packets refused so far. */
  refused(): { connect: number; publish: number; subscribe: number; oversize: number }
  /** The aedes instance, for its events ('ack', 'client', 'publish') in status pages and tests. */
  aedes: Aedes
  close(): Promise<void>
}

/** CONNACK return codes of MQTT 3.1.1. */
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

export async function startEmbeddedBroker(init: EmbeddedBrokerInit = {}): Promise<EmbeddedBroker> {
  const host = init.host ?? '127.0.0.1'
  const logger = init.logger ?? silentLogger
  if (!init.credentials && !init.allowAnonymous)
    throw new SteleError(
      'STELE_CONFIG',
      'the embedded MQTT broker needs credentials, or anonymous access allowed explicitly (--mqtt-allow-anonymous)',
    )
  const maxPacketBytes = init.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES
  const readings = parseTopicPattern(init.topic ?? DEFAULT_TOPIC_PATTERN)
  const identities = new WeakMap<Client, MqttIdentity>()
  const counts = { connect: 0, publish: 0, subscribe: 0, oversize: 0 }
  const refuseConnect = (
    client: Client,
    code: number,
    why: string,
    done: (e: AuthenticateError | null, ok: boolean | null) => void,
  ) => {
    counts.connect++
    logger.warn({ client: client.id, why }, 'mqtt connection refused')
    // aedes wants an Error carrying the CONNACK return code; it never reaches a Stele caller.
    done(Object.assign(new Error(why), { returnCode: code }) as AuthenticateError, false)
  }

  const aedes = await Aedes.createBroker({
    concurrency: init.deliveryConcurrency ?? 1000,
    // aedes' memory persistence, cheap per message for a subscriber that holds thousands unacknowledged (the gateway)
    persistence: indexedOutgoingPersistence(),
    authenticate(client, username, password, done) {
      const named = username !== undefined && username !== ''
      const identify = async (): Promise<MqttIdentity | string> => {
        if (!named) return init.allowAnonymous ? { role: 'anonymous' } : 'anonymous clients are not allowed'
        if (!init.credentials) return 'this broker has no credentials; connect without a username'
        const r = await init.credentials.check(username, password)
        return r.ok
          ? { role: r.role, username }
          : `${r.reason === 'unknown' ? 'unknown user' : 'wrong password'} ${username}`
      }
      identify().then(
        (who) => {
          if (typeof who === 'string')
            return refuseConnect(client, named ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED, who, done)
          const idRefusal = clientIdRefusal(who, client.id)
          if (idRefusal) return refuseConnect(client, NOT_AUTHORIZED, idRefusal, done)
          identities.set(client, who)
          done(null, true)
        },
        (err: unknown) =>
          refuseConnect(client, NOT_AUTHORIZED, `credentials unreadable: ${(err as Error).message}`, done),
      )
    },
    authorizePublish(client, packet, done) {
      // Wills and other publishes without a client come from the broker itself.
      const who = client ? identities.get(client) : undefined
      if (!client) return done(null)
      const why = who ? publishRefusal(who, packet.topic, readings) : 'not authenticated'
      if (!why) return done(null)
      counts.publish++
      const device = readings.match(packet.topic)?.device || null
      init.deadLetters?.add(
        packet.topic,
        device,
        `refused by the broker (client ${client.id}): ${why}`,
        toBytes(packet.payload),
      )
      // aedes' authorizePublish takes a plain Error and closes the client; the reason is in the dead letter.
      done(new Error(why))
    },
    authorizeSubscribe(client, sub, done) {
      const who = client ? identities.get(client) : undefined
      if (who && subscribeAllowed(who, sub.topic)) return done(null, sub)
      counts.subscribe++
      logger.warn({ client: client?.id, topic: sub.topic }, 'mqtt subscription refused')
      done(null, null) // granted 128: the client stays connected without that subscription
    },
  })
  aedes.on('clientError', (client, err) =>
    logger.debug({ client: client?.id, err: err.message }, 'mqtt client error'),
  )
  const handle = (conn: Parameters<Aedes['handle']>[0]) => {
    const client = aedes.handle(conn)
    limitClientPackets(client, maxPacketBytes, (size) => {
      counts.oversize++
      const who = identities.get(client)
      init.deadLetters?.add(
        '',
        who?.role === 'device' ? who.username : null,
        `refused by the broker (client ${client.id ?? 'before CONNECT'}): packet of ${size} bytes exceeds ${maxPacketBytes}`,
        new Uint8Array(0),
      )
    })
  }
  const server: Server = init.tls
    ? createTlsServer({ cert: Buffer.from(init.tls.cert), key: Buffer.from(init.tls.key) }, handle)
    : createServer(handle)
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
  const url = `${init.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`
  logger.info(
    { host, port, tls: init.tls !== undefined, anonymous: init.allowAnonymous === true, maxPacketBytes },
    'embedded mqtt broker listening',
  )
  return {
    host,
    port,
    url,
    clients: () => aedes.connectedClients,
    refused: () => ({ ...counts }),
    aedes,
    async close() {
      // Stop accepting, then close aedes, which ends every client connection so server.close can finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await closed
    },
  }
}

function toBytes(p: Buffer | string): Uint8Array {
  return typeof p === 'string' ? Buffer.from(p) : p
}
