import type { CommandSpec } from '../args.ts'

export const verifySpec: CommandSpec = {
  name: 'verify',
  summary:
    'Check a reading, account or storage proof offline, trusting only a genesis file (or, for storage, the CID).',
  usage: 'stele verify <proof.json> [--genesis <genesis.json>]',
  options: {
    genesis: {
      type: 'string',
      description: "the node's genesis.json to trust (without it: the genesis inside the proof)",
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
}
