import type { IClientOptions } from 'mqtt'
import type { Logger } from 'pino'
import { type MqttFleet, startMqttFleet } from '../device-sim/fleet.ts'

/** Starts simulated MQTT devices and says where they publish. */
export async function startSimFleet(o: {
  url: string
  count: number
  rate: number
  seed: number
  prefix?: string
  /** Each device's username and password, by device id. */
  credentials?: (id: string) => { username: string; password: string } | undefined
  /** For every device: TLS `ca`, a shared username and password. */
  mqttOptions?: Partial<IClientOptions>
  logger: Logger
}): Promise<MqttFleet> {
  const fleet = await startMqttFleet({
    url: o.url,
    count: o.count,
    rateHz: o.rate,
    seed: o.seed,
    ...(o.prefix ? { idPrefix: `${o.prefix}-` } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.mqttOptions ? { mqttOptions: o.mqttOptions } : {}),
  })
  o.logger.info(
    { devices: fleet.ids, broker: o.url },
    `${fleet.ids.length} simulated MQTT devices publishing to ${o.url}`,
  )
  return fleet
}
