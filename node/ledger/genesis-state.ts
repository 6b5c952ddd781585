import { encodeAccount } from '../../core/account.ts'
import type { Genesis } from '../../core/genesis.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import type { StateChange } from './state-map.ts'

/**
 * The state before block 1: one account per genesis allocation, nonce 0, no roles. A version 1 genesis has none,
 * so its state root before and after any block without ledger transactions is the empty root.
 */
export function genesisChanges(genesis: Genesis): StateChange[] {
  return (genesis.ledger?.allocations ?? [])
    .filter((a) => a.amount > 0n)
    .map((a) => ({
      key: stateKey(STATE_NS.ACCOUNT, a.account),
      value: encodeAccount({ balance: a.amount, nonce: 0, roles: 0 }),
    }))
}
