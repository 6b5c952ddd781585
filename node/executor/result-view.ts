import { equalBytes, toHex } from '../../core/bytes.ts'
import { type ContractResult, ZERO_CALL } from '../../core/contract-payloads.ts'
import type { SignedTx } from '../../core/transaction.ts'
import type { ContractEvent } from './hashes.ts'

/** What the executor shows of results: the views the API and the stream serve, and a mismatch's evidence. */

export interface ContractEventView extends ContractEvent {
  contract: string
  height: number
  result: string
  index: number
}

export interface ResultView {
  hash: string
  contract: string
  height: number
  blockHash: string
  call: string | null
  executor: string
  inputsHash: string
  stateRootBefore: string
  stateRootAfter: string
  eventsHash: string
  gasUsed: number
  status: ContractResult['status']
  message: string
  events: ContractEvent[]
}

/** A result whose hashes differ from this node's re-execution: the signed result and both sets of hashes. */
export interface Evidence {
  seq: number
  at: number
  contract: string
  height: number
  executor: string
  /** The signed result transaction, hex: anyone can re-run it and check the claim. */
  tx: string
  claimed: { inputsHash: string; stateRootAfter: string; eventsHash: string; gasUsed: number; status: string }
  recomputed: {
    inputsHash: string
    stateRootAfter: string
    eventsHash: string
    gasUsed: number
    status: string
  }
}

/**
 * The evidence that `tx` (result `p`) differs from this node's re-execution `expected`, numbered `seq` and taken
 * at `at`; undefined when the hashes, gas and status agree.
 */
export function mismatchEvidence(
  tx: SignedTx,
  p: ContractResult,
  expected: ContractResult,
  seq: number,
  at: number,
): Evidence | undefined {
  const claimed = hashesOf(p)
  const recomputed = hashesOf(expected)
  if (JSON.stringify(claimed) === JSON.stringify(recomputed)) return undefined
  return {
    seq,
    at,
    contract: toHex(p.contract),
    height: p.height,
    executor: toHex(tx.signer),
    tx: toHex(tx.bytes),
    claimed,
    recomputed,
  }
}

/** The hashes a result claims, in the form evidence keeps them. */
function hashesOf(p: ContractResult): Evidence['claimed'] {
  return {
    inputsHash: toHex(p.inputsHash),
    stateRootAfter: toHex(p.stateRootAfter),
    eventsHash: toHex(p.eventsHash),
    gasUsed: p.gasUsed,
    status: p.status,
  }
}

export function resultView(tx: SignedTx, p: ContractResult): ResultView {
  return {
    hash: toHex(tx.hash),
    contract: toHex(p.contract),
    height: p.height,
    blockHash: toHex(p.blockHash),
    call: equalBytes(p.call, ZERO_CALL) ? null : toHex(p.call),
    executor: toHex(tx.signer),
    inputsHash: toHex(p.inputsHash),
    stateRootBefore: toHex(p.stateRootBefore),
    stateRootAfter: toHex(p.stateRootAfter),
    eventsHash: toHex(p.eventsHash),
    gasUsed: p.gasUsed,
    status: p.status,
    message: p.message,
    events: JSON.parse(p.events) as ContractEvent[],
  }
}
