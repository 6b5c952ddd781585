import type { CommandSpec } from '../args.ts'
import { TLS_OPTIONS } from '../node-tls.ts'

export const startSpec: CommandSpec = {
  name: 'start',
  summary: 'Run everything on this machine: node, gateway, embedded MQTT broker and a simulated fleet.',
  usage:
    'stele start [--data <dir>] [--port <n>] [--mqtt-port <n>] [--mqtt-devices <n>] [--boards <n>] [--node-thread=false] [--mqtt-tls-cert <pem> --mqtt-tls-key <pem>] [--tls-cert <pem> --tls-key <pem>]',
  options: {
    data: { type: 'string', default: '.stele', description: 'data folder for the node and gateway' },
    port: {
      type: 'string',
      default: '8080',
      description: 'HTTP port of the API and explorer (0 picks a free one)',
    },
    host: { type: 'string', default: '127.0.0.1', description: 'HTTP address to bind' },
    'mqtt-port': {
      type: 'string',
      default: '1883',
      description: 'port of the embedded MQTT broker (0 picks a free one)',
    },
    'mqtt-devices': { type: 'string', default: '3', description: 'simulated MQTT devices' },
    'mqtt-allow-anonymous': {
      type: 'boolean',
      description: 'let MQTT clients in without credentials (default: each needs one from stele device add)',
    },
    'mqtt-max-packet': {
      type: 'string',
      default: '65536',
      description: 'largest MQTT packet the embedded broker accepts, in bytes',
    },
    'mqtt-tls-cert': {
      type: 'string',
      description: 'PEM certificate: the embedded broker then speaks mqtts://',
    },
    'mqtt-tls-key': { type: 'string', description: 'PEM private key of --mqtt-tls-cert' },
    boards: {
      type: 'string',
      default: '1',
      description: 'simulated serial boards of each kind (line protocol, StandardFirmata)',
    },
    rate: { type: 'string', default: '1', description: 'readings per second per simulated sensor' },
    seed: { type: 'string', default: '1', description: 'seed of the simulated sensors' },
    'block-interval': { type: 'string', default: '1000', description: 'milliseconds between blocks' },
    'node-thread': {
      type: 'string',
      default: 'true',
      description:
        'run the node (LevelDB, API, blocks) in its own thread beside the broker and gateway; false: one thread',
    },
    ...TLS_OPTIONS,
  },
}
