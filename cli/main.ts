import '../core/polyfills.ts' // first: libp2p needs Promise.withResolvers on Node 20 (core/polyfills.ts)
import { isSteleError } from '../core/errors.ts'
import { type CommandSpec, helpText } from './args.ts'
import { keysCommand, keysSpec } from './commands/keys.ts'
import { nodeCommand, nodeSpec } from './commands/node.ts'

type Run = (argv: string[], out: (s: string) => void) => Promise<number>

const commands: { [name: string]: { spec: CommandSpec; run: () => Promise<Run> } } = {
  start: {
    spec: (await import('./commands/start-spec.ts')).startSpec,
    run: async () => (await import('./commands/start.ts')).startCommand,
  },
  node: { spec: nodeSpec, run: async () => nodeCommand },
  gateway: {
    spec: (await import('./commands/gateway-spec.ts')).gatewaySpec,
    run: async () => (await import('./commands/gateway.ts')).gatewayCommand,
  },
  sim: {
    spec: (await import('./commands/sim-spec.ts')).simSpec,
    run: async () => (await import('./commands/sim.ts')).simCommand,
  },
  testnet: {
    spec: (await import('./commands/testnet-spec.ts')).testnetSpec,
    run: async () => (await import('./commands/testnet.ts')).testnetCommand,
  },
  verify: {
    spec: (await import('./commands/verify-spec.ts')).verifySpec,
    run: async () => (await import('./commands/verify.ts')).verifyCommand,
  },
  watch: {
    spec: (await import('./commands/watch-spec.ts')).watchSpec,
    run: async () => (await import('./commands/watch.ts')).watchCommand,
  },
  keys: { spec: keysSpec, run: async () => keysCommand },
  presence: {
    spec: (await import('./commands/presence-spec.ts')).presenceSpec,
    run: async () => (await import('./commands/presence.ts')).presenceCommand,
  },
  account: {
    spec: (await import('./commands/account.ts')).accountSpec,
    run: async () => (await import('./commands/account.ts')).accountCommand,
  },
  transfer: {
    spec: (await import('./commands/transfer.ts')).transferSpec,
    run: async () => (await import('./commands/transfer.ts')).transferCommand,
  },
  faucet: {
    spec: (await import('./commands/faucet.ts')).faucetSpec,
    run: async () => (await import('./commands/faucet.ts')).faucetCommand,
  },
  contract: {
    spec: (await import('./commands/contract-spec.ts')).contractSpec,
    run: async () => (await import('./commands/contract.ts')).contractCommand,
  },
  device: {
    spec: (await import('./commands/device-spec.ts')).deviceSpec,
    run: async () => (await import('./commands/device.ts')).deviceCommand,
  },
  storage: {
    spec: (await import('./commands/storage-spec.ts')).storageSpec,
    run: async () => (await import('./commands/storage.ts')).storageCommand,
  },
  drive: {
    spec: (await import('./commands/drive-spec.ts')).driveSpec,
    run: async () => (await import('./commands/drive.ts')).driveCommand,
  },
}

function usage(): string {
  const lines = [
    'stele: an edge IoT gateway with an embedded ledger node',
    '',
    'Usage: stele <command> [options]',
    '',
    'Commands:',
  ]
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.spec.summary}`)
  lines.push('', 'Global options:', `  ${'--json'.padEnd(10)} log JSON lines even on a terminal`)
  lines.push('', "Run 'stele <command> --help' for a command's options.")
  return lines.join('\n')
}

const out = (s: string) => process.stdout.write(`${s}\n`)
const argv = process.argv.slice(2)
// Global flags may come before the command: `stele --json node` is `stele node --json`.
const globals: string[] = []
while (argv[0] === '--json') globals.push(argv.shift()!)
const [name, ...rest] = argv

if (!name || name === '--help' || name === '-h' || name === 'help') {
  out(usage())
  process.exit(name ? 0 : 1)
}
const command = commands[name]
if (!command) {
  process.stderr.write(`stele: unknown command '${name}'\n\n${usage()}\n`)
  process.exit(2)
}
try {
  const code = await (await command.run())([...rest, ...globals], out)
  if (code === -1) {
    out(helpText(command.spec))
    process.exit(0)
  }
  process.exit(code)
} catch (e) {
  if (isSteleError(e)) process.stderr.write(`stele ${name}: ${e.message} [${e.code}]\n`)
  else process.stderr.write(`stele ${name}: ${(e as Error).stack ?? e}\n`)
  process.exit(1)
}
