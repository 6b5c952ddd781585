/**
 * A simulated MQTT device: its own mqtt.js client, publishing its sensors at QoS 1 to
 * `{topicPrefix}/{device}/{sensor}` with a device sequence number and its own clock in every reading.
 *
 * Rate: `rateHz` messages per second (Infinity: as fast as acknowledgements come back). At most
 * `maxInflight` messages wait for their PUBACK; a device that cannot keep up skips ticks rather than
 * queueing without bound (counted as `skipped`), as a real device with a small buffer would.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { Random } from './random.ts'
import { CONTINUOUS_SENSORS, createDeviceSensors, type DeviceSensors, type SensorSample } from './sensors.ts'

export interface MqttDeviceInit {
  id: string
  url: string
  /** Messages per second; Infinity sends whenever fewer than maxInflight are unacknowledged. */
  rateHz: number
  random: Random
  /** Readings per message (several samples of one sensor as a JSON array); default 1. */
  readingsPerMessage?: number
  now?: () => number
  /** Default `stele`. */
  topicPrefix?: string
  /** Default 100. */
  maxInflight?: number
  /** Stop publishing after this many messages (benchmarks send a fixed amount). */
  maxMessages?: number
  /** Publish door open/close events as they happen; default true. */
  doorEvents?: boolean
  mqttOptions?: Partial<IClientOptions>
}

export interface MqttDeviceStats {
  sent: number
  acked: number
  readingsSent: number
  readingsAcked: number
  skipped: number
  errors: number
}

export class MqttDevice {
  private client: MqttClient | null = null
  private readonly sensors: DeviceSensors
  private readonly now: () => number
  private readonly perMessage: number
  private readonly maxInflight: number
  private timer: ReturnType<typeof setInterval> | null = null
  private seq = 0
  private turn = 0
  /** performance.now() at start: the pacing origin. */
  private startedAt = 0
  private lastEventCheck = 0
  private inflight = 0
  /** Called after every acknowledgement (or failure): stop() and whenDone() re-check their condition. */
  private ackListeners: (() => void)[] = []
  private readonly s: MqttDeviceStats = {
    sent: 0,
    acked: 0,
    readingsSent: 0,
    readingsAcked: 0,
    skipped: 0,
    errors: 0,
  }

  constructor(private readonly init: MqttDeviceInit) {
    this.now = init.now ?? Date.now
    this.perMessage = Math.max(1, init.readingsPerMessage ?? 1)
    this.maxInflight = init.maxInflight ?? 100
    this.sensors = createDeviceSensors(init.random, { start: this.now() })
  }

  get id(): string {
    return this.init.id
  }

  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    const client = await mqtt.connectAsync(this.init.url, {
      clientId: this.init.id,
      reconnectPeriod: 1000,
      ...this.init.mqttOptions,
    })
    if (opts.signal?.aborted) {
      await client.endAsync(true)
      throw opts.signal.reason
    }
    client.on('error', () => {
      this.s.errors++
    })
    this.client = client
    this.startedAt = performance.now()
    this.lastEventCheck = this.now()
    const tickMs = Number.isFinite(this.init.rateHz) ? Math.max(5, 1000 / this.init.rateHz) : 20
    this.timer = setInterval(() => this.pump(), tickMs)
    this.pump()
  }

  /** Stops publishing, waits up to `ms` for outstanding PUBACKs, disconnects. */
  async stop(ms = 2000): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    const client = this.client
    this.client = null
    if (!client) return
    if (this.inflight > 0) {
      let t: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        this.waitFor(() => this.inflight === 0),
        new Promise<void>((r) => {
          t = setTimeout(r, ms)
        }),
      ])
      clearTimeout(t)
    }
    await client.endAsync(true)
  }

  /** Resolves once maxMessages are sent and acknowledged (never, without maxMessages). */
  whenDone(): Promise<void> {
    return this.waitFor(() => this.init.maxMessages !== undefined && this.s.acked >= this.init.maxMessages)
  }

  private waitFor(cond: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (cond()) resolve()
        else this.ackListeners.push(check)
      }
      check()
    })
  }

  stats(): MqttDeviceStats {
    return { ...this.s }
  }

  private pump(): void {
    const client = this.client
    if (!client) return
    const t = this.now()
    if (this.init.doorEvents !== false) {
      const events = this.sensors.doorEvents(this.lastEventCheck, t)
      this.lastEventCheck = t
      for (const e of events) this.publish(client, 'door', [e])
    }
    // Pacing runs on the monotonic clock: `now` is the device's wall clock, which tests may freeze.
    const due = Number.isFinite(this.init.rateHz)
      ? Math.floor(((performance.now() - this.startedAt) * this.init.rateHz) / 1000) + 1
      : Number.POSITIVE_INFINITY
    const cap = this.init.maxMessages ?? Number.POSITIVE_INFINITY
    while (this.s.sent + this.s.skipped < due && this.s.sent < cap) {
      if (this.inflight >= this.maxInflight) {
        // A slow link loses these ticks, as a device with a small buffer would; the schedule moves on.
        if (Number.isFinite(due)) this.s.skipped += due - this.s.sent - this.s.skipped
        break
      }
      const sensor = CONTINUOUS_SENSORS[this.turn++ % CONTINUOUS_SENSORS.length]!
      const samples: SensorSample[] = []
      for (let i = 0; i < this.perMessage; i++) samples.push(this.sensors.sample(sensor, t))
      this.publish(client, sensor, samples)
    }
  }

  private publish(client: MqttClient, sensor: string, samples: SensorSample[]): void {
    const items = samples.map((s) => ({
      value: s.value,
      ...(s.unit ? { unit: s.unit } : {}),
      seq: ++this.seq,
      ts: s.time,
    }))
    const payload = JSON.stringify(items.length === 1 ? items[0] : items)
    const topic = `${this.init.topicPrefix ?? 'stele'}/${this.init.id}/${sensor}`
    const n = items.length
    this.inflight++
    this.s.sent++
    this.s.readingsSent += n
    client.publish(topic, payload, { qos: 1 }, (err) => {
      this.inflight--
      if (err) this.s.errors++
      else {
        this.s.acked++
        this.s.readingsAcked += n
      }
      for (const w of this.ackListeners.splice(0)) w()
      if (!Number.isFinite(this.init.rateHz)) this.pump()
    })
  }
}
