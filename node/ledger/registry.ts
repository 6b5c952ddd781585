import { ROLES } from '../../core/account.ts'
import { decodeBlockHeader } from '../../core/block.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import { minFee, totalSupply } from '../../core/genesis-ledger.ts'
import {
  decodeFaucetGrant,
  decodeNodeRegistration,
  decodeTransfer,
  type FaucetGrant,
  type NodeRegistration,
  type Transfer,
} from '../../core/ledger-payloads.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import { type SignedTx, TX_TYPE_NAMES, TX_TYPES, verifyTxSignature } from '../../core/transaction.ts'
import { validateRegistration } from '../chain/registration.ts'
import { validateBatch } from '../chain/validate-batch.ts'
import {
  checkEvidence,
  decodeEvidencePayload,
  type EvidencePayload,
  offenceKey,
} from '../consensus/evidence-tx.ts'
import { CONTRACT_RULES } from '../executor/contract-rules.ts'
import { DRIVE_RULES } from '../storage/drive-rules.ts'
import type { LedgerState } from './ledger-state.ts'

/**
 * The one transaction registry (docs/protocol.md §9.2): every type's rules by type number. Ledger types are
 * validated against the state and applied here; record batches and gateway registrations keep their fast path,
 * whose entries call the existing validation with the context it needs.
 */

export interface LedgerRule<P extends { fee: bigint }> {
  kind: 'ledger'
  type: number
  name: string
  decode(payload: Uint8Array): P
  /** Accounts (public keys) the transaction reads or writes besides its signer and the producer. */
  accounts(p: P): Uint8Array[]
  /** Other state keys it reads or writes (a contract's leaf). */
  stateKeys?(tx: SignedTx, p: P): Uint8Array[]
  /** Type-specific rules, after the shared ones (chain, signature, nonce, fee). */
  check(tx: SignedTx, p: P, state: LedgerState, genesis: Genesis): void
  /** What the transaction moves besides fee and nonce, which applyTx handles for every ledger type. */
  apply(tx: SignedTx, p: P, state: LedgerState, genesis: Genesis): void
}

interface FastPathRule<A extends unknown[], R> {
  kind: 'fast-path'
  type: number
  name: string
  validate(tx: SignedTx, ...args: A): R
}

function amountRules(amount: bigint, genesis: Genesis): void {
  const supply = totalSupply(genesis.ledger)
  if (amount <= 0n) throw new SteleError('STELE_BAD_AMOUNT', 'amount must be greater than 0')
  if (amount > supply)
    throw new SteleError('STELE_BAD_AMOUNT', `amount ${amount} exceeds the total supply ${supply}`)
}

function cover(tx: SignedTx, state: LedgerState, amount: bigint, fee: bigint): void {
  const balance = state.account(tx.signer).balance
  if (balance < amount + fee)
    throw new SteleError(
      'STELE_INSUFFICIENT_BALANCE',
      `balance ${balance} does not cover amount ${amount} plus fee ${fee}`,
      { details: { balance: balance.toString(), needed: (amount + fee).toString() } },
    )
}

function credit(state: LedgerState, to: Uint8Array, amount: bigint): void {
  const a = state.account(to)
  state.setAccount(to, { ...a, balance: a.balance + amount })
}

function debit(state: LedgerState, from: Uint8Array, amount: bigint): void {
  const a = state.account(from)
  if (a.balance < amount) throw new SteleError('STELE_INSUFFICIENT_BALANCE', 'balance went below zero')
  state.setAccount(from, { ...a, balance: a.balance - amount })
}

/**
 * A type that moves `amount` from its signer to `to` (transfer, faucet grant): the shared amount and balance rules,
 * after `authorize` (who may sign it, a per-type cap).
 */
function movement<P extends { fee: bigint; amount: bigint; to: Uint8Array }>(
  type: number,
  name: string,
  decode: (payload: Uint8Array) => P,
  authorize?: (tx: SignedTx, p: P, genesis: Genesis) => void,
): LedgerRule<P> {
  return {
    kind: 'ledger',
    type,
    name,
    decode,
    accounts: (p) => [p.to],
    check(tx, p, state, genesis) {
      authorize?.(tx, p, genesis)
      amountRules(p.amount, genesis)
      cover(tx, state, p.amount, p.fee)
    },
    apply(tx, p, state) {
      debit(state, tx.signer, p.amount)
      credit(state, p.to, p.amount)
    },
  }
}

const transfer = movement<Transfer>(TX_TYPES.TRANSFER, 'transfer', decodeTransfer)

const faucetGrant = movement<FaucetGrant>(
  TX_TYPES.FAUCET_GRANT,
  'faucet-grant',
  decodeFaucetGrant,
  (tx, p, genesis) => {
    const faucet = genesis.ledger?.faucet
    if (!faucet || !equalBytes(tx.signer, faucet))
      throw new SteleError('STELE_NOT_AUTHORIZED', 'only the genesis faucet account may sign a faucet grant')
    const cap = genesis.ledger?.faucetGrant ?? 0n
    if (p.amount > cap)
      throw new SteleError('STELE_BAD_AMOUNT', `a faucet grant moves at most ${cap}, not ${p.amount}`)
  },
)

const nodeRegister: LedgerRule<NodeRegistration> = {
  kind: 'ledger',
  type: TX_TYPES.NODE_REGISTER,
  name: 'node-register',
  decode: decodeNodeRegistration,
  accounts: (p) => [p.node],
  check(tx, p, state, genesis) {
    // The authority alone: a registration with the producer role adds a block signer (consensus/producer-set.ts),
    // so neither a node nor a producer may grant it (to itself or another).
    if (!equalBytes(tx.signer, genesis.authority))
      throw new SteleError('STELE_NOT_AUTHORIZED', 'only the genesis authority may register nodes')
    cover(tx, state, 0n, p.fee)
  },
  apply(_tx, p, state) {
    // Roles 0 removes the registration; the node's account carries the same roles.
    state.setNode(p.node, p.roles === 0 ? null : { node: p.node, roles: p.roles, endpoints: p.endpoints })
    const a = state.account(p.node)
    state.setAccount(p.node, { ...a, roles: p.roles })
  },
}

const equivocationEvidence: LedgerRule<EvidencePayload> = {
  kind: 'ledger',
  type: TX_TYPES.EQUIVOCATION_EVIDENCE,
  name: 'equivocation-evidence',
  decode: decodeEvidencePayload,
  accounts: () => [],
  stateKeys: (_tx, p) => {
    const h = decodeBlockHeader(p.evidence.a.header)
    return [offenceKey(h.producer, h.height), stateKey(STATE_NS.NODE, h.producer)]
  },
  check(_tx, p, state, genesis) {
    // A producer is one of genesis or one registered with the role (consensus/producer-set.ts).
    const signer = decodeBlockHeader(p.evidence.a.header).producer
    const registered = ((state.node(signer)?.roles ?? 0) & ROLES.PRODUCER) !== 0
    const producers = [...genesis.producers, ...(registered ? [signer] : [])].map(toHex)
    checkEvidence(p, producers, (k) => state.raw(k) !== undefined)
  },
  apply(_tx, p, state) {
    const e = checkEvidence(p, [toHex(decodeBlockHeader(p.evidence.a.header).producer)], () => false)
    state.setRaw(e.key, e.value)
  },
}

/** Record batches: DESIGN §3.7, `validateBatch` with the record list and the gateway's batch chain. */
const recordBatch: FastPathRule<
  Parameters<typeof validateBatch> extends [SignedTx, ...infer A] ? A : never,
  ReturnType<typeof validateBatch>
> = {
  kind: 'fast-path',
  type: TX_TYPES.RECORD_BATCH,
  name: 'record-batch',
  validate: (tx, ...args) => validateBatch(tx, ...args),
}

/** Gateway registrations: `validateRegistration`, signed by the authority; its nonce is a time, not an account nonce. */
const gatewayRegister: FastPathRule<
  Parameters<typeof validateRegistration> extends [SignedTx, ...infer A] ? A : never,
  ReturnType<typeof validateRegistration>
> = {
  kind: 'fast-path',
  type: TX_TYPES.GATEWAY_REGISTER,
  name: 'gateway-register',
  validate: (tx, ...args) => validateRegistration(tx, ...args),
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous table; each entry is typed where it is defined
type AnyLedgerRule = LedgerRule<any>
export const TX_RULES: ReadonlyMap<number, AnyLedgerRule | typeof recordBatch | typeof gatewayRegister> =
  new Map<number, AnyLedgerRule | typeof recordBatch | typeof gatewayRegister>([
    [recordBatch.type, recordBatch],
    [gatewayRegister.type, gatewayRegister],
    [transfer.type, transfer],
    [faucetGrant.type, faucetGrant],
    [nodeRegister.type, nodeRegister],
    [equivocationEvidence.type, equivocationEvidence],
    ...CONTRACT_RULES.map((r) => [r.type, r] as const),
    ...DRIVE_RULES.map((r) => [r.type, r] as const),
  ])
export { gatewayRegister, recordBatch }

function ledgerRule(tx: SignedTx): AnyLedgerRule {
  const rule = TX_RULES.get(tx.type)
  if (!rule) {
    const name = TX_TYPE_NAMES[tx.type]
    throw new SteleError(
      'STELE_UNKNOWN_TX_TYPE',
      name
        ? `transaction type ${tx.type} (${name}) is reserved and not accepted yet`
        : `unknown transaction type ${tx.type}`,
      { details: { type: tx.type } },
    )
  }
  if (rule.kind !== 'ledger')
    throw new SteleError(
      'STELE_TX_INVALID',
      `a ${rule.name} transaction goes through its own path (TX_RULES entry ${rule.type}), not the ledger`,
    )
  return rule
}

/** The state rules shared by every ledger type and then the type's own; no signature check. Returns the payload. */
function checkState(
  rule: AnyLedgerRule,
  tx: SignedTx,
  state: LedgerState,
  genesis: Genesis,
): { fee: bigint } {
  if (tx.chainId !== genesis.chainId)
    throw new SteleError(
      'STELE_CHAIN_MISMATCH',
      `transaction is for chain ${tx.chainId}, not ${genesis.chainId}`,
    )
  const p = rule.decode(tx.payload)
  const expected = state.account(tx.signer).nonce
  if (tx.nonce < expected)
    throw new SteleError(
      'STELE_NONCE_TOO_LOW',
      `nonce ${tx.nonce} was already used; the next is ${expected}`,
      {
        details: { expectedNonce: expected },
      },
    )
  if (tx.nonce > expected)
    throw new SteleError('STELE_NONCE_GAP', `nonce ${tx.nonce} skips ahead; the next is ${expected}`, {
      details: { expectedNonce: expected },
    })
  const min = minFee(genesis.ledger, tx.type)
  if (p.fee < min)
    throw new SteleError('STELE_FEE_TOO_LOW', `fee ${p.fee} is below the minimum ${min} for ${rule.name}`, {
      details: { minFee: min.toString() },
    })
  rule.check(tx, p, state, genesis)
  return p
}

/**
 * Validates a ledger transaction against the state as it stands: type, chain, signature, payload, nonce (too low is
 * a replay, too high a gap), fee, then the type's rules (signer, amount, balance). Throws a coded SteleError.
 */
export function validateTx(tx: SignedTx, state: LedgerState, genesis: Genesis): void {
  const rule = ledgerRule(tx)
  if (tx.chainId !== genesis.chainId)
    throw new SteleError(
      'STELE_CHAIN_MISMATCH',
      `transaction is for chain ${tx.chainId}, not ${genesis.chainId}`,
    )
  if (!verifyTxSignature(tx))
    throw new SteleError(
      'STELE_BAD_SIGNATURE',
      `transaction signature does not verify for ${toHex(tx.signer)}`,
    )
  checkState(rule, tx, state, genesis)
}

export interface ApplyContext {
  genesis: Genesis
  /** The block's producer, who receives the fee. */
  producer: Uint8Array
}

/**
 * Applies a ledger transaction whose signature was checked (validateTx): re-checks the state rules, since the state
 * may have moved since admission, then bumps the signer's nonce, moves the amount and pays the fee to the producer.
 * Returns the state keys (hex) it wrote.
 */
export function applyTx(tx: SignedTx, state: LedgerState, ctx: ApplyContext): string[] {
  const rule = ledgerRule(tx)
  const p = checkState(rule, tx, state, ctx.genesis)
  const signer = state.account(tx.signer)
  state.setAccount(tx.signer, { ...signer, nonce: signer.nonce + 1, balance: signer.balance - p.fee })
  rule.apply(tx, p, state, ctx.genesis)
  if (p.fee > 0n) credit(state, ctx.producer, p.fee)
  const keys = [
    stateKey(STATE_NS.ACCOUNT, tx.signer),
    stateKey(STATE_NS.ACCOUNT, ctx.producer),
    ...rule.accounts(p).flatMap((k) => [stateKey(STATE_NS.ACCOUNT, k), stateKey(STATE_NS.NODE, k)]),
    ...(rule.stateKeys?.(tx, p) ?? []),
  ].map(toHex)
  const touched = new Set(state.touched())
  return [...new Set(keys)].filter((k) => touched.has(k))
}

/** State keys a ledger transaction may read or write: what a node prefetches before validating a block. */
export function txStateKeys(tx: SignedTx, producer: Uint8Array): Uint8Array[] {
  const rule = ledgerRule(tx)
  const p = rule.decode(tx.payload)
  const accounts = [tx.signer, producer, ...rule.accounts(p)]
  return [
    ...accounts.map((a) => stateKey(STATE_NS.ACCOUNT, a)),
    ...(tx.type === TX_TYPES.NODE_REGISTER ? rule.accounts(p).map((a) => stateKey(STATE_NS.NODE, a)) : []),
    ...(rule.stateKeys?.(tx, p) ?? []),
  ]
}

export const isLedgerType = (type: number): boolean => TX_RULES.get(type)?.kind === 'ledger'
