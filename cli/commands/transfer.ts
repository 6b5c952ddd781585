import { formatCoins, parseCoins } from '../../core/amount.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { minFee } from '../../core/genesis-ledger.ts'
import { encodeTransfer } from '../../core/ledger-payloads.ts'
import { backgroundTimers } from '../../core/timers.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import { type CommandSpec, parse, strOption } from '../args.ts'
import { LedgerClient } from '../ledger-client.ts'
import { readWalletKey } from '../wallet-key.ts'
import { DEFAULT_NODE, DEFAULT_WALLET, passphraseFrom, walletOptions } from './account.ts'

export const transferSpec: CommandSpec = {
  name: 'transfer',
  summary: 'Sign a transfer locally, announce it, and wait for its block.',
  usage: 'stele transfer --to <account hex> --amount <coins> [--memo text] [--fee <coins>] [--key <file>]',
  options: {
    ...walletOptions,
    to: { type: 'string', description: 'the account (hex public key) to pay' },
    amount: { type: 'string', description: 'in coins, e.g. 1.5 (the genesis decimals)' },
    memo: { type: 'string', description: 'at most 64 bytes of UTF-8' },
    fee: { type: 'string', description: 'in coins; default the genesis minimum for a transfer' },
    timeout: { type: 'string', default: '60000', description: 'ms to wait for the block' },
    json: { type: 'boolean', description: 'print JSON' },
  },
}

export async function transferCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const p = parse(transferSpec, argv)
  if (p === 'help') return -1
  const toHexArg = strOption(p, 'to')
  const amountArg = strOption(p, 'amount')
  if (!toHexArg || !amountArg) throw new SteleError('STELE_CONFIG', 'stele transfer needs --to and --amount')
  const key = await readWalletKey(strOption(p, 'key') ?? DEFAULT_WALLET, passphraseFrom(p))
  const client = new LedgerClient(strOption(p, 'node') ?? DEFAULT_NODE)
  const genesis = await client.genesis()
  const l = genesis.ledger
  if (!l) throw new SteleError('STELE_UNAVAILABLE', 'this chain has no ledger (its genesis is version 1)')
  const feeArg = strOption(p, 'fee')
  const fee = feeArg ? parseCoins(feeArg, l.decimals, '--fee') : minFee(l, TX_TYPES.TRANSFER)
  const amount = parseCoins(amountArg, l.decimals, '--amount')
  // The next nonce counts this account's transactions still pending, so transfers can follow one another.
  const me = await client.call(`/v1/accounts/${toHex(key.publicKey)}`)
  const tx = signTx(
    {
      type: TX_TYPES.TRANSFER,
      chainId: genesis.chainId,
      signer: key.publicKey,
      nonce: me.pending.nonce,
      payload: encodeTransfer({
        fee,
        to: fromHex(toHexArg, '--to', 32),
        amount,
        memo: strOption(p, 'memo') ?? '',
      }),
    },
    key.secretKey,
  )
  const sent = await client.call('/v1/transactions', { tx: Buffer.from(tx.bytes).toString('base64') })
  const done = await client.waitConfirmed(
    sent.hash,
    backgroundTimers,
    Number(strOption(p, 'timeout') ?? 60000),
  )
  if (p.values['json'] === true) out(JSON.stringify({ hash: sent.hash, height: done.blockHeight }))
  else
    out(
      `sent ${formatCoins(amount, l.decimals)} ${l.symbol} (fee ${formatCoins(fee, l.decimals)}) in block ${done.blockHeight}\ntransaction ${sent.hash}`,
    )
  return 0
}
