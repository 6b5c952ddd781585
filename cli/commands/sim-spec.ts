import type { CommandSpec } from '../args.ts'

export const simSpec: CommandSpec = {
  name: 'sim',
  summary: 'Run a simulated fleet of MQTT devices against any broker.',
  usage:
    'stele sim --mqtt <url> [--devices <n>] [--rate <hz>] [--seed <n>] [--credentials <file> | --username <u> --password <p>]',
  options: {
    mqtt: { type: 'string', default: 'mqtt://127.0.0.1:1883', description: 'MQTT broker URL' },
    devices: { type: 'string', default: '20', description: 'simulated MQTT devices' },
    rate: { type: 'string', default: '1', description: 'readings per second per sensor' },
    seed: { type: 'string', default: '1', description: 'seed of the simulated sensors' },
    prefix: { type: 'string', default: 'sim-mqtt', description: 'device id prefix' },
    credentials: {
      type: 'string',
      description:
        'JSON file of per-device tokens, {"tokens":{"<id>":"<token>"}} (stele start writes <data>/mqtt/local-clients.json)',
    },
    username: { type: 'string', description: 'MQTT username shared by every device (external brokers)' },
    password: {
      type: 'string',
      description: 'MQTT password shared by every device (or STELE_MQTT_PASSWORD)',
    },
    ca: { type: 'string', description: 'PEM CA certificate to trust for an mqtts:// broker' },
  },
}
