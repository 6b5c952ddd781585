import { formatCoins } from '../../core/amount.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { backgroundTimers } from '../../core/timers.ts'
import { type CommandSpec, parse, strOption } from '../args.ts'
import { LedgerClient } from '../ledger-client.ts'
import { readWalletPublic } from '../wallet-key.ts'
import { DEFAULT_NODE, DEFAULT_WALLET } from './account.ts'

export const faucetSpec: CommandSpec = {
  name: 'faucet',
  summary: "Ask a node's faucet for coins, and wait for the grant's block.",
  usage: 'stele faucet [--address <hex> | --key <file>] [--node <url>]',
  options: {
    address: { type: 'string', description: 'the account to fund (default: the key file’s)' },
    key: { type: 'string', default: DEFAULT_WALLET, description: 'the account key file' },
    node: { type: 'string', default: DEFAULT_NODE, description: "the node's HTTP address" },
    timeout: { type: 'string', default: '60000', description: 'ms to wait for the block' },
    json: { type: 'boolean', description: 'print JSON' },
  },
}

export async function faucetCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(faucetSpec, argv)
  if (p === 'help') return -1
  const a = strOption(p, 'address')
  const address = a
    ? toHex(fromHex(a, '--address', 32))
    : toHex(await readWalletPublic(strOption(p, 'key') ?? DEFAULT_WALLET))
  const client = new LedgerClient(strOption(p, 'node') ?? DEFAULT_NODE)
  const granted = await client.call('/v1/faucet', { address })
  const done = await client.waitConfirmed(
    granted.hash,
    backgroundTimers,
    Number(strOption(p, 'timeout') ?? 60000),
  )
  const decimals = (await client.genesis()).ledger?.decimals ?? 0
  if (p.values['json'] === true)
    out(JSON.stringify({ hash: granted.hash, height: done.blockHeight, amount: granted.amount }))
  else
    out(
      `granted ${formatCoins(BigInt(granted.amount), decimals)} ${granted.symbol} to ${address} in block ${done.blockHeight}\ntransaction ${granted.hash}`,
    )
  return 0
}
