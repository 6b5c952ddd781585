import type { CommandSpec } from '../args.ts'
import { walletOptions } from './account.ts'

export const contractSpec: CommandSpec = {
  name: 'contract',
  summary: 'Super contracts: test locally, deploy, call, list, show, results, events, replay a result.',
  usage: [
    'stele contract test <file.js> --readings <sample.ndjson> [--gas N] [--state state.json] [--json]',
    '       stele contract deploy <file.js> [--name n] [--gas N] [--sensors a,b] [--devices d] [--gateways hex] [--wait]',
    "       stele contract call <contract id> <fn> [--args '{...}'] [--gas N] [--wait]",
    '       stele contract ls | show <id> | results <id> | events <id> [--limit n]',
    '       stele contract replay <result tx hash>   (re-runs it here from chain and storage data)',
  ].join('\n'),
  options: {
    ...walletOptions,
    name: { type: 'string', description: 'deploy: the contract name (default the file name)' },
    sensors: {
      type: 'string',
      description: 'deploy: sensors that trigger it, comma separated (default all)',
    },
    devices: {
      type: 'string',
      description: 'deploy: devices that trigger it, comma separated (default all)',
    },
    gateways: { type: 'string', description: 'deploy: gateway keys (hex), comma separated (default all)' },
    args: { type: 'string', description: 'call: the arguments, JSON (default {})' },
    fee: { type: 'string', description: 'deploy/call: fee in coins (default the genesis minimum)' },
    wait: { type: 'boolean', description: 'deploy/call: wait for the block' },
    timeout: { type: 'string', default: '60000', description: 'ms to wait for the block with --wait' },
    limit: { type: 'string', default: '20', description: 'results/events: how many' },
    readings: {
      type: 'string',
      description: 'NDJSON file, one reading a line ({ device, sensor, value, time })',
    },
    gas: {
      type: 'string',
      description: 'gas limit per run (test, deploy: default 1000000; call: default 100000)',
    },
    state: { type: 'string', description: 'JSON file with the starting state (default {})' },
    json: { type: 'boolean', description: 'print the replay as JSON' },
  },
}
