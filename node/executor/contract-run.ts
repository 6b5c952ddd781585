import { concatBytes, fromHex, toHex } from '../../core/bytes.ts'
import {
  type ContractEntry,
  type ContractResult,
  filterMatches,
  MAX_RESULT_EVENTS_BYTES,
  MAX_RESULT_STATE_BYTES,
  type PendingCall,
  ZERO_CALL,
} from '../../core/contract-payloads.ts'
import { sha256 } from '../../core/hash.ts'
import type { StampedRecord } from '../../core/record.ts'
import { canonicalJson, frozenCanonical, type Json } from './canonical-json.ts'
import type { ChainBlock } from './chain-inputs.ts'
import { type ContractState, eventsHash } from './hashes.ts'
import type { ContractLimits } from './limits.ts'
import type { ContractCall, RunRequest, RunResult } from './run-contract.ts'
import { deriveSeed } from './seed.ts'

/**
 * How a contract's run is built from chain data (docs/contracts.md §9): the executor and every re-executing node
 * call these same functions, so equal chain data gives equal requests and, by the sandbox's determinism, equal
 * hashes.
 */

/** Limits of on-chain runs: the state and events must fit a result transaction. */
export const CHAIN_LIMITS: Partial<Omit<ContractLimits, 'gasLimit'>> = {
  stateBytes: 16 * 1024,
  maxEvents: 16,
  eventBytes: 1024,
}

/** A reading as an on-chain contract sees it. */
export function contractReading(r: StampedRecord): { [k: string]: Json } {
  const out: { [k: string]: Json } = {
    device: r.device,
    sensor: r.sensor,
    value: r.value,
    time: r.time,
    gateway: toHex(r.gateway),
    seq: r.seq,
  }
  if (r.unit !== undefined) out.unit = r.unit
  return out
}

export type Seeder = (blockHash: Uint8Array, contractId: string) => Uint8Array

const readingCalls = new WeakMap<StampedRecord, ContractCall>()

/**
 * The onReading call of a record, frozen with its canonical text and made once per record object: every contract
 * of a block (and each re-execution given the same records) shares it, so a block's readings are encoded once.
 */
function readingCall(r: StampedRecord): ContractCall {
  let call = readingCalls.get(r)
  if (call === undefined) {
    call = frozenCanonical({ handler: 'onReading', input: frozenCanonical(contractReading(r)) })
    readingCalls.set(r, call)
  }
  return call
}

/** The run of a contract on one block: onReading per matching reading (block order), then onBlock; null if none match. */
export function blockRun(
  id: string,
  entry: ContractEntry,
  code: string,
  exports: readonly string[],
  block: ChainBlock,
  records: readonly StampedRecord[],
  seed: Seeder = deriveSeed,
): RunRequest | null {
  const matching = records.filter((r) => filterMatches(entry.filter, r))
  if (matching.length === 0) return null
  const calls: ContractCall[] = []
  if (exports.includes('onReading')) for (const r of matching) calls.push(readingCall(r))
  if (exports.includes('onBlock'))
    calls.push({
      handler: 'onBlock',
      input: { height: block.height, hash: toHex(block.hash), time: block.time, readings: matching.length },
    })
  if (calls.length === 0) return null
  return {
    code,
    contractId: id,
    calls,
    state: JSON.parse(entry.state) as ContractState,
    blockTime: block.time,
    seed: seed(block.hash, id),
    gasLimit: entry.gasLimit,
    limits: CHAIN_LIMITS,
  }
}

/** The run of one contract-call included in `block`. */
export function callRun(
  id: string,
  entry: ContractEntry,
  code: string,
  call: PendingCall,
  block: ChainBlock,
  seed: Seeder = deriveSeed,
): RunRequest {
  return {
    code,
    contractId: id,
    calls: [{ handler: call.fn, input: JSON.parse(call.args) as Json }],
    state: JSON.parse(entry.state) as ContractState,
    blockTime: block.time,
    seed: seed(sha256(concatBytes(block.hash, call.hash)), id),
    gasLimit: call.gas,
    limits: CHAIN_LIMITS,
  }
}

/**
 * A run's outcome as a result payload. A run whose state or events would not fit a transaction is an error result
 * (the same for every node, since it depends only on the run).
 */
export function resultPayload(
  run: RunResult,
  before: ContractState,
  contract: Uint8Array,
  block: ChainBlock,
  call: Uint8Array = ZERO_CALL,
  fee = 0n,
): ContractResult {
  let status = run.status
  let message = run.message ?? ''
  let state = canonicalJson(run.stateAfter, 'state')
  let events = canonicalJson(
    run.events.map((e) => ({ name: e.name, data: e.data })),
    'events',
  )
  let rootAfter = run.stateRootAfter
  let evHash = run.eventsHash
  const tooBig =
    Buffer.byteLength(state) > MAX_RESULT_STATE_BYTES || Buffer.byteLength(events) > MAX_RESULT_EVENTS_BYTES
  if (status === 'ok' && tooBig) {
    status = 'error'
    message = 'the state or events of the run do not fit a result transaction'
  }
  if (status !== 'ok') {
    events = '[]'
    evHash = eventsHash([])
    rootAfter = run.stateRootBefore
    state = canonicalJson(before, 'state')
  }
  return {
    fee,
    contract,
    height: block.height,
    blockHash: block.hash,
    call,
    inputsHash: fromHex(run.inputsHash, 'inputsHash', 32),
    stateRootBefore: fromHex(run.stateRootBefore, 'stateRootBefore', 32),
    stateRootAfter: fromHex(rootAfter, 'stateRootAfter', 32),
    eventsHash: fromHex(evHash, 'eventsHash', 32),
    gasUsed: run.gasUsed,
    status,
    message,
    events,
    state,
  }
}
