import type { CommandSpec } from '../args.ts'
import { walletOptions } from './account.ts'

export const driveSpec: CommandSpec = {
  name: 'drive',
  summary: 'Drives (storage contracts on the chain): create, list, fill, empty, close and inspect.',
  usage:
    'stele drive create --capacity <bytes> --duration <blocks> [--period 10] [--replicas 1] [--price <coins>] | ls | put <drive> <file|cid> [--name <name>] | rm <drive> <name> | close <drive> | status <drive>  [--key <file>] [--node <url>]',
  options: {
    ...walletOptions,
    capacity: { type: 'string', description: 'create: bytes the drive may hold' },
    duration: { type: 'string', description: 'create: blocks the drive lives' },
    period: { type: 'string', default: '10', description: 'create: blocks between challenges' },
    replicas: { type: 'string', default: '1', description: 'create: replicators wanted (1…16)' },
    price: {
      type: 'string',
      default: '0',
      description: 'create: coins per block per replica (the escrow is price × duration × replicas)',
    },
    name: {
      type: 'string',
      description: "put: the file's name in the drive (default: the file's base name, or the CID)",
    },
    fee: { type: 'string', description: 'in coins; default the genesis minimum for the transaction type' },
    timeout: { type: 'string', default: '60000', description: 'ms to wait for the block' },
    quiet: { type: 'boolean', short: 'q', description: 'put: no upload progress on standard error' },
    json: { type: 'boolean', description: 'print JSON' },
  },
}
