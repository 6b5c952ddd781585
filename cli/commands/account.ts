import { formatCoins } from '../../core/amount.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { generateKeyPair } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import { type CommandSpec, parse, strOption } from '../args.ts'
import { LedgerClient } from '../ledger-client.ts'
import { readWalletKey, readWalletPublic, writeWalletKey } from '../wallet-key.ts'

export const DEFAULT_WALLET = '.stele/wallet.key'
export const DEFAULT_NODE = 'http://127.0.0.1:8080'

/** Options the wallet commands share. */
export const walletOptions = {
  key: { type: 'string', default: DEFAULT_WALLET, description: 'the account key file' },
  'passphrase-env': {
    type: 'string',
    description: 'name of the environment variable holding the key file passphrase',
  },
  node: { type: 'string', default: DEFAULT_NODE, description: "the node's HTTP address" },
} as const

export const accountSpec: CommandSpec = {
  name: 'account',
  summary: 'Make an account key, show it, its balance and its history.',
  usage:
    'stele account new [--key <file>] [--passphrase-env VAR] | show | balance [--address <hex>] | history [--limit n]',
  options: {
    ...walletOptions,
    address: { type: 'string', description: 'balance/history of this account (hex) instead of the key file' },
    limit: { type: 'string', default: '20', description: 'history: transactions to list' },
    json: { type: 'boolean', description: 'print JSON' },
  },
}

export function passphraseFrom(p: { values: { [k: string]: unknown } }): string | undefined {
  const name = p.values['passphrase-env']
  if (typeof name !== 'string') return undefined
  const v = process.env[name]
  if (v === undefined || v === '')
    throw new SteleError('STELE_CONFIG', `environment variable ${name} (--passphrase-env) is not set`)
  return v
}

export async function accountCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(accountSpec, argv)
  if (p === 'help') return -1
  const sub = p.positionals[0]
  const keyPath = strOption(p, 'key') ?? DEFAULT_WALLET
  const json = p.values['json'] === true
  const client = new LedgerClient(strOption(p, 'node') ?? DEFAULT_NODE)
  const address = async (): Promise<string> => {
    const a = strOption(p, 'address')
    return a ? toHex(fromHex(a, '--address', 32)) : toHex(await readWalletPublic(keyPath))
  }
  switch (sub) {
    case 'new': {
      const key = generateKeyPair()
      await writeWalletKey(keyPath, key, passphraseFrom(p))
      out(
        json
          ? JSON.stringify({ account: toHex(key.publicKey), key: keyPath })
          : `account ${toHex(key.publicKey)}\nkey   ${keyPath}`,
      )
      return 0
    }
    case 'show': {
      // With a passphrase: proves the file opens, not only that it names a key.
      const pub = p.values['passphrase-env']
        ? (await readWalletKey(keyPath, passphraseFrom(p))).publicKey
        : await readWalletPublic(keyPath)
      out(json ? JSON.stringify({ account: toHex(pub), key: keyPath }) : toHex(pub))
      return 0
    }
    case 'balance': {
      const a = await client.call(`/v1/accounts/${await address()}`)
      if (json) out(JSON.stringify(a))
      else {
        const pend = BigInt(a.pending.balance)
        out(
          `${a.balanceCoins} ${a.symbol} (${a.balance} base units), next nonce ${a.nonce}, at block ${a.height}`,
        )
        if (pend !== BigInt(a.balance) || a.pending.nonce !== a.nonce)
          out(`pending: ${formatCoins(pend, a.decimals)} ${a.symbol}, next nonce ${a.pending.nonce}`)
      }
      return 0
    }
    case 'history': {
      const me = await address()
      const limit = Number(strOption(p, 'limit') ?? '20')
      const page = await client.call(`/v1/accounts/${me}/transactions?limit=${limit}`)
      if (json) {
        out(JSON.stringify(page))
        return 0
      }
      for (const t of page.items) {
        const pl = t.payload as { to?: string; amount?: string; fee?: string; memo?: string }
        const dir = t.signer === me ? `to   ${pl.to ?? '-'}` : `from ${t.signer}`
        out(
          `${String(t.blockHeight).padStart(7)} ${t.type.padEnd(13)} ${dir} ${pl.amount ?? ''}${pl.fee ? ` fee ${pl.fee}` : ''}${pl.memo ? ` "${pl.memo}"` : ''}  ${t.hash}`,
        )
      }
      if (page.items.length === 0) out('no transactions')
      return 0
    }
    default:
      throw new SteleError(
        'STELE_CONFIG',
        'name what to do: stele account new|show|balance|history (see --help)',
      )
  }
}
