/**
 * The producer set at a height: the genesis producers plus every node registered with the producer role in the
 * committed state of the parent block. Registrations only change in node-register transactions (type 5, signed by
 * the genesis authority alone: node/ledger/registry.ts), so the set after a block follows from the set before it and
 * that block's registrations: every node, on every fork, derives the same set from the same parent without reading
 * the state. A registration with the producer role adds its node; one without it (roles 0 deregisters) removes it,
 * unless the node is a genesis producer: genesis producers are producers for the chain's whole life.
 */
import { ROLES } from '../../core/account.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { decodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { type SignedTx, TX_TYPES, verifyTxSignature } from '../../core/transaction.ts'

export interface ProducerRules {
  /** Genesis producers (lowercase hex): always in the set. */
  readonly genesis: ReadonlySet<string>
  /** The genesis authority: the only signer whose node-register transactions count. */
  readonly authority: Uint8Array
}

/**
 * The producer set after a block whose transactions are `txs`, given the set before it (sorted hex keys). Returns
 * `before` itself when the block changes nothing, so a chain's heights share one array until a registration.
 * Registrations not signed by the authority, or whose signature or payload does not verify, are skipped: such a
 * block is refused by its state check anyway, and a peer's branch (checked header by header before its bodies)
 * cannot add a producer with one.
 */
export function producersAfter(
  before: readonly string[],
  txs: readonly SignedTx[],
  rules: ProducerRules,
): readonly string[] {
  let set: Set<string> | undefined
  for (const tx of txs) {
    if (tx.type !== TX_TYPES.NODE_REGISTER || !equalBytes(tx.signer, rules.authority)) continue
    let node: string
    let producer: boolean
    try {
      const reg = decodeNodeRegistration(tx.payload)
      node = toHex(reg.node)
      producer = (reg.roles & ROLES.PRODUCER) !== 0
    } catch {
      continue
    }
    if (!verifyTxSignature(tx)) continue
    set ??= new Set(before)
    if (producer) set.add(node)
    else if (!rules.genesis.has(node)) set.delete(node)
  }
  if (!set || (set.size === before.length && before.every((p) => set.has(p)))) return before
  return [...set].sort()
}
