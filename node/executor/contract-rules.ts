import { ROLES } from '../../core/account.ts'
import { equalBytes, fromHex, toHex } from '../../core/bytes.ts'
import {
  type ContractCallTx,
  type ContractDeploy,
  type ContractEntry,
  type ContractResult,
  contractStateKey,
  decodeContractCall,
  decodeContractDeploy,
  decodeContractEntry,
  decodeContractResult,
  encodeContractEntry,
  MAX_PENDING_CALLS,
  ZERO_CALL,
} from '../../core/contract-payloads.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import { type SignedTx, TX_TYPES } from '../../core/transaction.ts'
import type { LedgerState } from '../ledger/ledger-state.ts'
import type { LedgerRule } from '../ledger/registry.ts'
import { canonicalJson } from './canonical-json.ts'
import { HANDLER_EXPORTS } from './check-contract.ts'
import { type ContractEvent, type ContractState, eventsHash, stateRoot } from './hashes.ts'

/**
 * The ledger rules of the contract transactions (docs/contracts.md §9): what every node checks in a block without
 * running anything. What needs the chain and storage (the code is held, the block hash is the block's, the executor
 * is the selected one, the hashes match a re-execution) is checked at admission by the executor service.
 */

/** Base units per gas a contract call pays (genesis has no field for it yet: 0, so calls cost only their fee). */
export function gasPrice(genesis: Genesis): bigint {
  return (genesis.ledger as { gasPrice?: bigint } | undefined)?.gasPrice ?? 0n
}

export const EMPTY_STATE_ROOT = fromHex(stateRoot({}), 'state root', 32)

const invalid = (m: string, details?: Record<string, unknown>): SteleError =>
  new SteleError('STELE_TX_INVALID', m, details ? { details } : {})

function entryOf(state: LedgerState, id: Uint8Array): ContractEntry {
  const v = state.raw(contractStateKey(id))
  if (!v)
    throw new SteleError('STELE_NOT_FOUND', `contract ${toHex(id)} is not deployed`, {
      details: { contract: toHex(id) },
    })
  return decodeContractEntry(v)
}

function setEntry(state: LedgerState, id: Uint8Array, e: ContractEntry): void {
  state.setRaw(contractStateKey(id), encodeContractEntry(e))
}

function cover(tx: SignedTx, state: LedgerState, amount: bigint, fee: bigint): void {
  const balance = state.account(tx.signer).balance
  if (balance < amount + fee)
    throw new SteleError(
      'STELE_INSUFFICIENT_BALANCE',
      `balance ${balance} does not cover gas ${amount} plus fee ${fee}`,
      { details: { balance: balance.toString(), needed: (amount + fee).toString() } },
    )
}

function move(state: LedgerState, key: Uint8Array, delta: bigint): void {
  const a = state.account(key)
  if (a.balance + delta < 0n) throw new SteleError('STELE_INSUFFICIENT_BALANCE', 'balance went below zero')
  state.setAccount(key, { ...a, balance: a.balance + delta })
}

/** JSON text must be the canonical text of its value: one encoding per value, so hashes agree. */
function canonicalText(s: string, field: string): unknown {
  const v: unknown = JSON.parse(s)
  if (canonicalJson(v, field) !== s) throw invalid(`${field} is not canonical JSON`)
  return v
}

/** The contract id is the deploy transaction's hash. */
export const contractIdOf = (deployTx: SignedTx): Uint8Array => deployTx.hash

const deploy: LedgerRule<ContractDeploy> = {
  kind: 'ledger',
  type: TX_TYPES.CONTRACT_DEPLOY,
  name: 'contract-deploy',
  decode: decodeContractDeploy,
  accounts: () => [],
  stateKeys: (tx) => [contractStateKey(tx.hash)],
  check(tx, p, state) {
    if (state.raw(contractStateKey(tx.hash))) throw invalid('this contract is already deployed')
    cover(tx, state, 0n, p.fee)
  },
  apply(tx, p, state) {
    setEntry(state, tx.hash, {
      owner: tx.signer,
      name: p.name,
      codeCid: p.codeCid,
      gasLimit: p.gasLimit,
      filter: p.filter,
      lastHeight: 0,
      results: 0,
      stateRoot: EMPTY_STATE_ROOT,
      state: '{}',
      calls: [],
    })
  },
}

const call: LedgerRule<ContractCallTx> = {
  kind: 'ledger',
  type: TX_TYPES.CONTRACT_CALL,
  name: 'contract-call',
  decode: decodeContractCall,
  accounts: () => [],
  stateKeys: (_tx, p) => [contractStateKey(p.contract)],
  check(tx, p, state, genesis) {
    const e = entryOf(state, p.contract)
    if ((HANDLER_EXPORTS as readonly string[]).includes(p.fn))
      throw invalid(`${p.fn} is run by the node on readings and blocks, not called`)
    if (e.calls.length >= MAX_PENDING_CALLS)
      throw new SteleError('STELE_RATE_LIMITED', 'the contract has 16 calls waiting for results; retry later')
    canonicalText(p.args, 'args')
    cover(tx, state, BigInt(p.gas) * gasPrice(genesis), p.fee)
  },
  apply(tx, p, state, genesis) {
    const e = entryOf(state, p.contract)
    // The gas is held by the call and paid to the executor whose result answers it.
    move(state, tx.signer, -BigInt(p.gas) * gasPrice(genesis))
    e.calls.push({ hash: tx.hash, caller: tx.signer, fn: p.fn, args: p.args, gas: p.gas })
    setEntry(state, p.contract, e)
  },
}

/** A result's signer: a node registered with the executor role, or the genesis authority (the first producer). */
export function mayExecute(state: LedgerState, signer: Uint8Array, genesis: Genesis): boolean {
  return (state.account(signer).roles & ROLES.EXECUTOR) !== 0 || equalBytes(signer, genesis.authority)
}

/** The checks of a result that need only the state: order, roots, canonical events and state, their hashes. */
export function checkResult(
  tx: SignedTx,
  p: ContractResult,
  state: LedgerState,
  genesis: Genesis,
): ContractEntry {
  const e = entryOf(state, p.contract)
  if (!mayExecute(state, tx.signer, genesis))
    throw new SteleError('STELE_NOT_AUTHORIZED', 'a contract result is signed by an executor node')
  if (!equalBytes(p.stateRootBefore, e.stateRoot))
    throw invalid('stateRootBefore is not the contract state root', {
      stateRoot: toHex(e.stateRoot),
    })
  if (equalBytes(p.call, ZERO_CALL)) {
    if (p.height <= e.lastHeight)
      throw invalid(`block ${p.height} is not after the last block run ${e.lastHeight}`, {
        lastHeight: e.lastHeight,
      })
  } else if (!e.calls.some((c) => equalBytes(c.hash, p.call)))
    throw invalid('the call is not waiting for a result')
  const events = canonicalText(p.events, 'events') as ContractEvent[]
  const after = canonicalText(p.state, 'state') as ContractState
  if (!Array.isArray(events) || toHex(p.eventsHash) !== eventsHash(events))
    throw invalid('eventsHash is not the hash of the events')
  if (
    after === null ||
    typeof after !== 'object' ||
    Array.isArray(after) ||
    toHex(p.stateRootAfter) !== stateRoot(after)
  )
    throw invalid('stateRootAfter is not the root of the state')
  if (p.status !== 'ok' && (events.length > 0 || !equalBytes(p.stateRootAfter, p.stateRootBefore)))
    throw invalid('a failed run has no events and leaves the state as it was')
  return e
}

const result: LedgerRule<ContractResult> = {
  kind: 'ledger',
  type: TX_TYPES.CONTRACT_RESULT,
  name: 'contract-result',
  decode: decodeContractResult,
  accounts: () => [],
  stateKeys: (_tx, p) => [contractStateKey(p.contract)],
  check(tx, p, state, genesis) {
    checkResult(tx, p, state, genesis)
  },
  apply(tx, p, state, genesis) {
    const e = entryOf(state, p.contract)
    e.stateRoot = p.stateRootAfter
    e.state = p.state
    e.results += 1
    if (equalBytes(p.call, ZERO_CALL)) e.lastHeight = p.height
    else {
      const c = e.calls.find((x) => equalBytes(x.hash, p.call))
      e.calls = e.calls.filter((x) => !equalBytes(x.hash, p.call))
      if (c) move(state, tx.signer, BigInt(c.gas) * gasPrice(genesis))
    }
    setEntry(state, p.contract, e)
  },
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list, each entry typed where it is defined
export const CONTRACT_RULES: LedgerRule<any>[] = [deploy, call, result]
