import type { Logger } from 'pino'
import { type MqttFleet, startMqttFleet } from '../device-sim/fleet.ts'

/** Starts simulated MQTT devices and says where they publish. */
export async function startSimFleet(o: {
  url: string
  count: number
  rate: number
  seed: number
  prefix?: string
  logger: Logger
}): Promise<MqttFleet> {
  const fleet = await startMqttFleet({
    url: o.url,
    count: o.count,
    rateHz: o.rate,
    seed: o.seed,
    ...(o.prefix ? { idPrefix: `${o.prefix}-` } : {}),
  })
  o.logger.info(
    { devices: fleet.ids, broker: o.url },
    `${fleet.ids.length} simulated MQTT devices publishing to ${o.url}`,
  )
  return fleet
}
