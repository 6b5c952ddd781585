import { toHex } from '../../core/bytes.ts'
import { decodeFaucetGrant, decodeNodeRegistration, decodeTransfer } from '../../core/ledger-payloads.ts'
import { type SignedTx, TX_TYPES } from '../../core/transaction.ts'

/**
 * The transactions of each account, written with the block that confirms them:
 *   la:<account hex>:<height, 12 hex><index in block, 8 hex>  ->  transaction hash (32 bytes)
 * Iterated backwards for newest first. An account is indexed as the signer and as the one a transaction names
 * (`to` of a transfer or faucet grant, `node` of a registration).
 */
export const LA = {
  prefix: (account: string): string => `la:${account}:`,
  key: (account: string, height: number, index: number): string =>
    `la:${account}:${height.toString(16).padStart(12, '0')}${index.toString(16).padStart(8, '0')}`,
} as const

/** Accounts (hex) a ledger transaction concerns: its signer first, then the one it names. */
export function txAccounts(tx: SignedTx): string[] {
  const out = [toHex(tx.signer)]
  try {
    if (tx.type === TX_TYPES.TRANSFER) out.push(toHex(decodeTransfer(tx.payload).to))
    else if (tx.type === TX_TYPES.FAUCET_GRANT) out.push(toHex(decodeFaucetGrant(tx.payload).to))
    else if (tx.type === TX_TYPES.NODE_REGISTER) out.push(toHex(decodeNodeRegistration(tx.payload).node))
  } catch {
    // Only applied transactions are indexed, and those decoded; a non-ledger type names no other account.
  }
  return [...new Set(out)]
}
