import { startMqttFleet } from '../../../device-sim/fleet.ts'
import { createMqttConnector } from '../../../gateway/connectors/mqtt/mqtt-connector.ts'
import { startEmbeddedBroker } from '../../../gateway/embedded-broker.ts'
import { connectorCompliance } from '../../firmware-bridge/connector-compliance.ts'

connectorCompliance('MQTT connector (embedded broker, one simulated device)', 'mqtt', async (sink) => {
  const broker = await startEmbeddedBroker({ port: 0, allowAnonymous: true })
  const fleet = await startMqttFleet({ url: broker.url, count: 1, rateHz: 50, seed: 3, doorEvents: false })
  const connector = createMqttConnector({ url: broker.url, sink, clientId: 'gw-compliance' })
  return {
    connector,
    cleanup: async () => {
      await connector.stop()
      await fleet.stop()
      await broker.close()
    },
  }
})
