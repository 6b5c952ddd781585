import { formatCoins, parseCoins } from '../../../core/amount.ts'
import { toHex } from '../../../core/bytes.ts'
import type { KeyPair } from '../../../core/ed25519.ts'
import { type GenesisLedger, genesisLedgerFromJson, minFee } from '../../../core/genesis-ledger.ts'
import { type SignedTx, signTx, TX_TYPES } from '../../../core/transaction.ts'
import { type GenesisJson, getOrNull, postJson, type TxView } from '../api.ts'
import { subscribe } from '../stream.ts'

/** The node's currency as its genesis names it (docs/protocol.md §9.5), or null on a chain without a ledger. */
export function ledgerOf(genesis: GenesisJson): GenesisLedger | null {
  if (!genesis.ledger) return null
  try {
    return genesisLedgerFromJson(genesis.ledger)
  } catch {
    return null
  }
}

/** Base units (a decimal string or bigint) as coins with the symbol: "100 STL", "0.001 STL". */
export function coins(base: string | bigint, l: GenesisLedger | null): string {
  const v = typeof base === 'bigint' ? base : BigInt(base)
  return l ? `${formatCoins(v, l.decimals)} ${l.symbol}` : `${v} units`
}

export const parseAmountInput = (text: string, l: GenesisLedger): bigint =>
  parseCoins(text.trim(), l.decimals, 'amount')

export const transferFee = (l: GenesisLedger): bigint => minFee(l, TX_TYPES.TRANSFER)

/** A ledger transaction signed in the page with the unlocked key (the payload carries its fee); only its bytes leave. */
export function signLedgerTx(
  key: KeyPair,
  t: { chainId: string; type: number; nonce: number; payload: Uint8Array },
): SignedTx {
  return signTx({ ...t, signer: key.publicKey }, key.secretKey)
}

export const announce = (tx: SignedTx, signal?: AbortSignal) =>
  postJson<{ hash: string; status: 'accepted' | 'duplicate' }>(
    '/v1/transactions',
    { txHex: toHex(tx.bytes) },
    signal,
  )

export interface AccountWatch {
  /** The node has the subscription: a transaction sealed from now on is seen. */
  ready: Promise<void>
  /** The confirmed view once a block seals `hash`. */
  confirmed(hash: string): Promise<TxView>
}

/**
 * Confirmations of an account's transactions from the stream's `transactions` channel (no polling). That channel is
 * live only, so after every (re)subscription the transactions still awaited are read once from the transaction
 * route: one sealed while the stream was down is not missed.
 */
export function watchAccount(account: string, signal: AbortSignal, onTx?: (t: TxView) => void): AccountWatch {
  const waiting = new Map<string, (t: TxView) => void>()
  const seen = new Map<string, TxView>()
  let ready!: () => void
  const readyP = new Promise<void>((r) => {
    ready = r
  })
  const settle = (t: TxView) => {
    if (seen.has(t.hash)) return
    seen.set(t.hash, t)
    waiting.get(t.hash)?.(t)
    waiting.delete(t.hash)
    onTx?.(t)
  }
  subscribe(
    { channels: ['transactions'], account: [account] },
    {
      transaction: settle,
      subscribed: () => {
        ready()
        for (const hash of waiting.keys())
          void getOrNull<TxView>(`/v1/transactions/${hash}`, signal)
            .then((t) => t && t.status !== 'pending' && settle(t))
            .catch(() => undefined)
      },
    },
    signal,
  )
  return {
    ready: readyP,
    confirmed: (hash) => {
      const t = seen.get(hash)
      return t ? Promise.resolve(t) : new Promise((res) => waiting.set(hash, res))
    },
  }
}
