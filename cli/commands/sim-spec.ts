import type { CommandSpec } from '../args.ts'

export const simSpec: CommandSpec = {
  name: 'sim',
  summary: 'Run a simulated fleet of MQTT devices against any broker.',
  usage: 'stele sim --mqtt <url> [--devices <n>] [--rate <hz>] [--seed <n>]',
  options: {
    mqtt: { type: 'string', default: 'mqtt://127.0.0.1:1883', description: 'MQTT broker URL' },
    devices: { type: 'string', default: '20', description: 'simulated MQTT devices' },
    rate: { type: 'string', default: '1', description: 'readings per second per sensor' },
    seed: { type: 'string', default: '1', description: 'seed of the simulated sensors' },
    prefix: { type: 'string', default: 'sim-mqtt', description: 'device id prefix' },
    json: { type: 'boolean', description: 'log JSON lines even on a terminal' },
  },
}
