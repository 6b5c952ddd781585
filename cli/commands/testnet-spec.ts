import type { CommandSpec } from '../args.ts'

export const testnetSpec: CommandSpec = {
  name: 'testnet',
  summary:
    'Run a local network: N node processes (own folders and ports, one genesis naming them all), a gateway submitting to all of them and a simulated fleet.',
  usage: 'stele testnet [--nodes 3] [--data .stele-testnet] [--port 8181] [--p2p-port 9181]',
  options: {
    nodes: { type: 'string', default: '3', description: 'node processes (each a producer)' },
    data: {
      type: 'string',
      default: '.stele-testnet',
      description: 'folder of the node-<i> folders and the gateway',
    },
    port: { type: 'string', default: '8181', description: 'HTTP port of node 0; node i listens on port + i' },
    'p2p-port': {
      type: 'string',
      default: '9181',
      description: 'libp2p port of node 0; node i uses p2p-port + i',
    },
    'mqtt-port': { type: 'string', default: '1884', description: "the gateway's embedded MQTT broker" },
    devices: { type: 'string', default: '4', description: 'simulated MQTT devices (0: none)' },
    rate: { type: 'string', default: '2', description: 'readings per second per device' },
    'block-interval': { type: 'string', default: '1000', description: 'milliseconds between blocks' },
  },
}
