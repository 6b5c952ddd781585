import type { CommandSpec } from '../args.ts'

export const watchSpec: CommandSpec = {
  name: 'watch',
  summary:
    "Print a node's live stream in the terminal, one line per reading; reconnects from its last cursor.",
  usage:
    'stele watch [--node <url>]... [--device <id,...>] [--sensor <name,...>] [--gateway <hex>] [--cursor <c>] [--channels <list>] [--ws] [--json] [--ca <pem>]',
  options: {
    node: {
      type: 'string',
      multiple: true,
      description:
        'node HTTP address, repeatable: the bootstrap list, refreshed from the chain (GET /v1/nodes); the next one is used when one fails (default http://127.0.0.1:8080)',
    },
    device: { type: 'string', description: 'only these devices (comma-separated)' },
    sensor: { type: 'string', description: 'only these sensors (comma-separated)' },
    gateway: { type: 'string', description: 'only readings stamped by this gateway key (hex)' },
    channels: {
      type: 'string',
      default: 'readings',
      description: 'readings, confirmations, blocks, status (comma-separated)',
    },
    cursor: {
      type: 'string',
      description: 'start after this cursor (from an earlier event; 0.0.0 for all history); default: live',
    },
    ws: { type: 'boolean', description: 'use the WebSocket stream instead of Server-Sent Events' },
    json: { type: 'boolean', description: 'print each event as a JSON line' },
    ca: {
      type: 'string',
      description:
        'PEM certificate authority to trust for an https:// node (or set NODE_EXTRA_CA_CERTS for every command)',
    },
  },
}
