import type { CommandSpec } from '../args.ts'

export const deviceSpec: CommandSpec = {
  name: 'device',
  summary: "Manage MQTT devices' credentials for the embedded broker (add prints the token once).",
  usage:
    'stele device add <id> [--data <dir>] | stele device ls [--data <dir>] | stele device rm <id> [--data <dir>]',
  options: {
    data: {
      type: 'string',
      default: '.stele',
      description: 'data folder of stele start (credentials in <data>/mqtt/credentials.json)',
    },
  },
}
