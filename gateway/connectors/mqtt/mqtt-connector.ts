/**
 * The MQTT connector: subscribes at QoS 1 with a persistent session (`clean: false`, a client id fixed per
 * gateway key: `gatewayClientId` in gateway/mqtt-acl.ts), so the broker keeps messages while the gateway is down, and acknowledges each message only once its readings are
 * in the durable outbox (`sink.push()` resolved). A message whose readings never reach the outbox is never
 * acknowledged, and the broker redelivers it to the next session.
 *
 * Holding acks without stalling: mqtt.js handles incoming packets one at a time and sends the PUBACK when
 * `handleMessage`'s callback succeeds (`customHandleAcks` does the same and only exists for MQTT 5, which aedes
 * does not speak). Waiting there would allow one message per batch delay. So we let mqtt.js move on at once by
 * calling the callback with a marker error (mqtt.js then sends no PUBACK and continues with the next packet),
 * and send the PUBACK ourselves when the push resolves, on the same connection only: after a reconnect the
 * packet id may belong to another message, and the broker resends ours anyway (the batcher drops the repeat).
 * At most `maxInflight` messages are held; past that we do wait in the callback, which stops reading the
 * socket: TCP backpressure to the broker.
 *
 * Under MQTT 3.1.1 the QoS 0/1 PUBLISH packets do not go through mqtt.js at all: mqtt-publish-split.ts reads them
 * off the socket (mqtt.js's per-packet path was the gateway's largest cost) and hands them to `take`, with the same
 * acknowledgement and the same backpressure (it stops reading at `maxInflight`); mqtt.js keeps everything else.
 */
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt'
import { isSteleError, SteleError } from '../../../core/errors.ts'
import { type Logger, silentLogger } from '../../../core/logger.ts'
import type { Reading } from '../../../core/reading.ts'
import { realTimers, sleep } from '../../../core/timers.ts'
import { type DeadLetter, DeadLetters } from '../../dead-letters.ts'
import type { Connector, ConnectorStatus, ReadingSink } from '../connector.ts'
import { parsePayload } from './mqtt-payload.ts'
import { createPubackSender } from './mqtt-puback.ts'
import { type PublishReader, splitPublishes } from './mqtt-publish-split.ts'
import { DEFAULT_TOPIC_PATTERN, parseTopicPattern, type TopicPattern } from './mqtt-topic.ts'

export interface MqttConnectorInit {
  /** Broker address, e.g. mqtt://127.0.0.1:1883, or mqtts:// for TLS. */
  url: string
  sink: ReadingSink
  /**
   * Fixed so the broker recognises our session after a restart, and unique to this gateway (`gatewayClientId`)
   * so no other client inherits the session and the readings queued in it.
   */
  clientId: string
  /** Default `stele/{device}/{sensor}`; see mqtt-topic.ts. */
  topic?: string
  username?: string
  password?: string
  /** PEM CA certificate(s) to trust for an mqtts:// broker (default: the system's). */
  ca?: string | Uint8Array
  /**
   * Messages held unacknowledged before we stop reading the socket; default 10,000: above what a busy outbox
   * write and the readings waiting behind it hold, so the window never starves the broker, and still bounded.
   */
  maxInflight?: number
  /** How long stop() waits for held messages to reach the outbox; default 5 s. */
  stopTimeoutMs?: number
  name?: string
  logger?: Logger
  now?: () => number
  /** Options of the connector's own list, or a list to share (with the embedded broker's refusals). */
  deadLetters?: { capacity?: number; logIntervalMs?: number } | DeadLetters
  /** Anything else for mqtt.js (TLS, keepalive, protocolVersion...). */
  mqttOptions?: Partial<IClientOptions>
}

const noLog = (): void => {}

/** Passed to mqtt.js's callback to mean "carry on, we acknowledge this one ourselves": a sentinel, never thrown. */
const DEFERRED = Object.freeze(new Error('stele: acknowledgement deferred until the outbox write'))

export class MqttConnector implements Connector {
  readonly name: string
  private readonly topic: TopicPattern
  private readonly logger: Logger
  private readonly now: () => number
  private readonly maxInflight: number
  private readonly letters: DeadLetters
  private client: MqttClient | null = null
  private stopping = false
  private inflight = 0
  private parked: (() => void) | null = null
  private idleWaiters: (() => void)[] = []
  private subscribedWaiters: (() => void)[] = []
  private readonly puback = createPubackSender()
  private stopSignal = new AbortController()
  private readonly counts = {
    received: 0,
    readings: 0,
    acked: 0,
    unacked: 0,
    lastMessageAt: null as number | null,
  }

  constructor(private readonly init: MqttConnectorInit) {
    this.name = init.name ?? 'mqtt'
    this.topic = parseTopicPattern(init.topic ?? DEFAULT_TOPIC_PATTERN)
    this.logger = init.logger ?? silentLogger
    this.now = init.now ?? Date.now
    this.maxInflight = init.maxInflight ?? 10_000
    this.letters =
      init.deadLetters instanceof DeadLetters
        ? init.deadLetters
        : new DeadLetters({ logger: this.logger, now: this.now, ...init.deadLetters })
  }

  /** Resolves once connected and subscribed; mqtt.js keeps reconnecting after that on its own. */
  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.client) return
    this.stopping = false
    this.stopSignal = new AbortController()
    const options: IClientOptions = {
      clientId: this.init.clientId,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: false,
      // mqtt.js logs through `debug` about ten times per packet even when disabled (about 5% of the gateway's
      // CPU under load); a no-op skips that unless DEBUG asks for its output.
      ...(process.env['DEBUG'] ? {} : { log: noLog }),
      ...(this.init.username !== undefined ? { username: this.init.username } : {}),
      ...(this.init.password !== undefined ? { password: this.init.password } : {}),
      ...(this.init.ca !== undefined ? { ca: Buffer.from(this.init.ca) } : {}),
      ...this.init.mqttOptions,
    }
    const client = mqtt.connect(this.init.url, { ...options, manualConnect: true })
    this.client = client
    // QoS 0/1 PUBLISHes of MQTT 3.1.1 are read off the socket by the splitter; the rest (QoS 2, MQTT 5) through here.
    client.handleMessage = (packet, callback) => this.onPacket(client, packet, callback)
    if (options.protocolVersion !== 5)
      splitPublishes(client, (p, reader) => this.take(client, reader, p.topic, p.payload, p.qos, p.messageId))
    client.connect()
    client.on('connect', (connack) => {
      this.logger.info(
        { url: redact(this.init.url), sessionPresent: connack.sessionPresent },
        'mqtt connected',
      )
      client.subscribe(this.topic.subscription, { qos: 1 }, (err, granted) => {
        if (err) this.logger.error({ err }, 'mqtt subscribe failed')
        else if (granted?.[0]?.qos === 128)
          this.logger.error({ topic: this.topic.subscription }, 'mqtt subscribe refused')
        else for (const w of this.subscribedWaiters.splice(0)) w()
      })
    })
    client.on('error', (err) => this.logger.warn({ err: err.message }, 'mqtt error'))
    client.on('offline', () => this.logger.warn({ url: redact(this.init.url) }, 'mqtt offline; reconnecting'))

    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        cleanup()
        void this.stop()
        reject(
          new SteleError('STELE_UNAVAILABLE', `mqtt broker ${redact(this.init.url)} not reachable`, {
            cause: opts.signal?.reason,
          }),
        )
      }
      const onSubscribed = () => {
        cleanup()
        resolve()
      }
      const cleanup = () => {
        opts.signal?.removeEventListener('abort', onAbort)
        this.subscribedWaiters = this.subscribedWaiters.filter((w) => w !== onSubscribed)
      }
      if (opts.signal?.aborted) return onAbort()
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      this.subscribedWaiters.push(onSubscribed)
    })
  }

  /**
   * Stops taking messages, waits (bounded) for held ones to reach the outbox and be acknowledged, then
   * disconnects. It never unsubscribes: the broker keeps queueing for our session while we are away.
   */
  async stop(): Promise<void> {
    const client = this.client
    if (!client) return
    this.stopping = true
    this.stopSignal.abort()
    if (this.inflight > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.init.stopTimeoutMs ?? 5000)
        }),
      ])
      clearTimeout(timer)
    }
    this.parked?.()
    this.parked = null
    this.client = null
    await client.endAsync()
  }

  status(): ConnectorStatus {
    return {
      name: this.name,
      kind: 'mqtt',
      connected: this.client?.connected ?? false,
      received: this.counts.received,
      readings: this.counts.readings,
      errors: this.letters.total,
      lastMessageAt: this.counts.lastMessageAt,
      detail: {
        url: redact(this.init.url),
        subscription: this.topic.subscription,
        inflight: this.inflight,
        acked: this.counts.acked,
        unacked: this.counts.unacked,
      },
    }
  }

  /** Recent refused messages (malformed here, or refused by the embedded broker when sharing its list), oldest first. */
  deadLetters(): DeadLetter[] {
    return this.letters.list()
  }

  /** A message mqtt.js parsed: every one under MQTT 5, otherwise only what the splitter leaves it (QoS 2). */
  private onPacket(client: MqttClient, packet: IPublishPacket, callback: (err?: Error) => void): void {
    const reader = { stream: client.stream, resume: () => callback(DEFERRED) }
    const qos = packet.qos === 0 ? 0 : 1
    // When take() refuses more, it parks reader.resume: mqtt.js reads on once a held message is acknowledged.
    if (this.take(client, reader, packet.topic, toBytes(packet.payload), qos, packet.messageId ?? 0))
      callback(qos === 0 && !this.stopping ? undefined : DEFERRED)
  }

  /**
   * Takes one message; false when `maxInflight` are now held: the caller stops reading until `reader.resume()`.
   * A QoS 1 message is acknowledged on `reader.stream` once its readings are in the outbox.
   */
  private take(
    client: MqttClient,
    reader: PublishReader,
    topic: string,
    payload: Uint8Array,
    qos: 0 | 1,
    messageId: number,
  ): boolean {
    if (this.stopping) return true // not taken, not acknowledged: the broker redelivers it next session
    if (qos === 0) {
      this.process(topic, payload, () => undefined) // nothing to acknowledge
      return true
    }
    const stream = reader.stream
    this.inflight++
    this.process(topic, payload, (ack) => {
      if (ack) this.ack(client, stream, messageId)
      else this.counts.unacked++
      this.inflight--
      if (this.parked && this.inflight < this.maxInflight) {
        const go = this.parked
        this.parked = null
        go()
      }
      if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w()
    })
    if (this.inflight < this.maxInflight) return true
    this.parked = () => reader.resume()
    return false
  }

  /**
   * Calls `done(true)` when the message may be acknowledged (its readings are durable, or it is malformed), or
   * `done(false)` when it must not be. A callback, not a promise per message: the push's promise is shared by every
   * message in the same outbox write.
   */
  private process(topic: string, payload: Uint8Array, done: (ack: boolean) => void): void {
    this.counts.received++
    this.counts.lastMessageAt = this.now()
    const where = this.topic.match(topic)
    if (!where) {
      this.letters.add(topic, null, `topic does not match ${this.topic.pattern}`, payload)
      done(true)
      return
    }
    const parsed = parsePayload(payload, where.device, where.sensor)
    if (!parsed.ok) {
      this.letters.add(topic, where.device, parsed.reason, payload)
      done(true)
      return
    }
    const readings = parsed.readings
    // push() is called synchronously here, so readings are stamped in the order messages arrived.
    this.init.sink.push(readings).then(
      () => {
        this.counts.readings += readings.length
        done(true)
      },
      (err: unknown) => {
        void this.deliver(readings, topic, where.device, payload, Promise.reject(err)).then(done)
      },
    )
  }

  /**
   * Waits for the push; on a passing failure (the gateway not running yet, a full disk) pushes again with
   * backoff, still holding the ack: within one connection the broker would not resend the message itself.
   */
  private async deliver(
    readings: Reading[],
    topic: string,
    device: string,
    payload: Uint8Array,
    first: Promise<void>,
  ): Promise<boolean> {
    let pushed = first
    for (let attempt = 0; ; attempt++) {
      try {
        await pushed
        this.counts.readings += readings.length
        return true
      } catch (err) {
        if (isSteleError(err, 'STELE_BAD_REQUEST')) {
          this.letters.add(topic, device, err.message, payload)
          return true
        }
        if (this.stopping) return false // unacknowledged: the broker resends it to our next session
        if (attempt === 0)
          this.logger.warn({ err, topic }, 'readings not written yet; retrying before acknowledging')
        await sleep(Math.min(5000, 100 * 2 ** attempt), realTimers, this.stopSignal.signal).catch(
          () => undefined,
        )
        if (this.stopping) return false
        pushed = this.init.sink.push(readings)
      }
    }
  }

  private ack(client: MqttClient, stream: unknown, messageId: number): void {
    if (this.client === client && this.puback.send(client, stream, messageId)) this.counts.acked++
    else this.counts.unacked++
  }
}

export function createMqttConnector(init: MqttConnectorInit): MqttConnector {
  return new MqttConnector(init)
}

function toBytes(p: Buffer | string): Uint8Array {
  return typeof p === 'string' ? Buffer.from(p) : p
}

/** The URL without a password, for logs and status. */
function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}
