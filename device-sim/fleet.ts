/**
 * A fleet of simulated MQTT devices (`sim-mqtt-01`, `sim-mqtt-02`, ...), each with its own client and its
 * own random stream derived from one seed, so a fleet is reproducible from (seed, count).
 */
import type { IClientOptions } from 'mqtt'
import { MqttDevice, type MqttDeviceStats } from './mqtt-device.ts'
import { createRandom, deriveSeed } from './random.ts'

export interface MqttFleetInit {
  url: string
  count: number
  /** Messages per second per device; Infinity: as fast as acknowledgements allow. */
  rateHz: number
  seed: number
  readingsPerMessage?: number
  /** Default `sim-mqtt-`. */
  idPrefix?: string
  topicPrefix?: string
  maxInflight?: number
  /** Per device; the fleet is done once every device sent and got acknowledged this many. */
  maxMessages?: number
  doorEvents?: boolean
  now?: () => number
  /** Options for every device's client (TLS `ca`, a shared username and password...). */
  mqttOptions?: Partial<IClientOptions>
  /** Each device's own username and password (a broker with per-device credentials); overrides mqttOptions. */
  credentials?: (id: string) => { username: string; password: string } | undefined
  signal?: AbortSignal
}

export interface MqttFleetStats extends MqttDeviceStats {
  devices: number
}

export interface MqttFleet {
  ids: string[]
  stop(): Promise<void>
  stats(): MqttFleetStats
  /** Resolves once every device is done (needs maxMessages). */
  done(): Promise<void>
}

export function deviceIds(count: number, prefix = 'sim-mqtt-'): string[] {
  const width = Math.max(2, String(count).length)
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`)
}

/** Connects every device, then starts them publishing. */
export async function startMqttFleet(init: MqttFleetInit): Promise<MqttFleet> {
  const ids = deviceIds(init.count, init.idPrefix)
  const devices = ids.map(
    (id, i) =>
      new MqttDevice({
        id,
        url: init.url,
        rateHz: init.rateHz,
        random: createRandom(deriveSeed(init.seed, i)),
        ...(init.readingsPerMessage !== undefined ? { readingsPerMessage: init.readingsPerMessage } : {}),
        ...(init.topicPrefix !== undefined ? { topicPrefix: init.topicPrefix } : {}),
        ...(init.maxInflight !== undefined ? { maxInflight: init.maxInflight } : {}),
        ...(init.maxMessages !== undefined ? { maxMessages: init.maxMessages } : {}),
        ...(init.doorEvents !== undefined ? { doorEvents: init.doorEvents } : {}),
        ...(init.now ? { now: init.now } : {}),
        ...(init.mqttOptions || init.credentials
          ? { mqttOptions: { ...init.mqttOptions, ...init.credentials?.(id) } }
          : {}),
      }),
  )
  const started = await Promise.allSettled(
    devices.map((d) => d.start(init.signal ? { signal: init.signal } : {})),
  )
  const failed = started.find((r) => r.status === 'rejected')
  if (failed) {
    await Promise.allSettled(devices.map((d) => d.stop(0)))
    throw failed.reason
  }
  return {
    ids,
    async stop() {
      await Promise.allSettled(devices.map((d) => d.stop()))
    },
    stats() {
      const total: MqttFleetStats = {
        devices: devices.length,
        sent: 0,
        acked: 0,
        readingsSent: 0,
        readingsAcked: 0,
        skipped: 0,
        errors: 0,
      }
      for (const d of devices) {
        const s = d.stats()
        total.sent += s.sent
        total.acked += s.acked
        total.readingsSent += s.readingsSent
        total.readingsAcked += s.readingsAcked
        total.skipped += s.skipped
        total.errors += s.errors
      }
      return total
    },
    async done() {
      await Promise.all(devices.map((d) => d.whenDone()))
    },
  }
}
