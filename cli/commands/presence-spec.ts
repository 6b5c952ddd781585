import type { CommandSpec } from '../args.ts'
import { DEFAULT_NODE, DEFAULT_WALLET } from './account.ts'

export const presenceSpec: CommandSpec = {
  name: 'presence',
  summary:
    'Be reachable without revealing where: a three-hop circuit to a presence node that announces you in the DHT (docs/presence.md).',
  usage:
    'stele presence up [--key <file>] [--node <url>]... [--ttl <ms>] [--subscribe <filter>]\n' +
    '       stele presence send <account hex> <message> [--key <file>] [--node <url>]...\n' +
    '       stele presence lookup <account hex> [--node <url>]...',
  options: {
    key: { type: 'string', default: DEFAULT_WALLET, description: 'your account key file' },
    passphrase: { type: 'string', description: 'the key file’s passphrase (or STELE_PASSPHRASE)' },
    node: {
      type: 'string',
      multiple: true,
      description: `node HTTP address, repeatable (default ${DEFAULT_NODE}); the circuit uses the nodes the chain lists`,
    },
    ttl: {
      type: 'string',
      default: '60000',
      description: 'ms each registration runs; renewed at a third of it',
    },
    subscribe: {
      type: 'string',
      description:
        'also forward this stream (query string of GET /v1/stream, e.g. channels=readings&device=d1)',
    },
    timeout: { type: 'string', default: '30000', description: 'ms to wait for a registration or an answer' },
    json: { type: 'boolean', description: 'print JSON lines' },
  },
}
