/**
 * A contract run's request and result: their shapes, the limits a request resolves to, its checks and its inputs
 * hash. Pure; the sandbox that executes a request is run-contract.ts.
 */
import { toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { sha256 } from '../../core/hash.ts'
import { canonicalJson, isFrozenCanonical, type Json } from './canonical-json.ts'
import type { Engine } from './engine.ts'
import { type ContractEvent, type ContractState, INPUTS_TAG, stateRoot, taggedTextHash } from './hashes.ts'
import { type ContractLimits, DEFAULT_LIMITS, MAX_CODE_BYTES, MAX_GAS_LIMIT } from './limits.ts'

const HANDLER_RE = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/

/** One handler invocation: an export of the contract and its JSON argument. */
export interface ContractCall {
  handler: string
  input: Json
}

/**
 * Everything a run depends on. Two nodes given equal requests get equal results, gas included; the inputs hash
 * commits to all of it (docs/contracts.md §6).
 */
export interface RunRequest {
  /** The contract's ES module source. */
  code: string
  contractId: string
  /**
   * Handlers run in order in one sandbox, on one state; the run is atomic (all or nothing). Empty: the module
   * is only loaded (its top-level code runs), which is how a deploy check lists its exports.
   */
  calls: readonly ContractCall[]
  /** The state before the run. */
  state: ContractState
  /** Epoch milliseconds: Date.now(), new Date() and ctx.blockTime. */
  blockTime: number
  /** 32 bytes; deriveSeed(blockHash, contractId) on chain. */
  seed: Uint8Array
  /** Gas the run may use; defaults to DEFAULT_LIMITS.gasLimit. */
  gasLimit?: number
  /** Other limits; defaults from DEFAULT_LIMITS. */
  limits?: Partial<Omit<ContractLimits, 'gasLimit'>>
}

/** What the host may vary without changing the result (none of it is hashed). */
export interface RunOptions {
  /** Defaults to the process's shared engine. */
  engine?: Engine
  /** The last-resort guard; a run stopped by it is a failure (`deterministic: false`), never a result. */
  wallClockMs?: number
  /** Monotonic milliseconds for the wall-clock guard (injected so tests can drive it). */
  now?: () => number
  /** Stops the run at the next interrupt poll, as a failure (`deterministic: false`). */
  signal?: AbortSignal
  /** The request's inputs hash when the caller has just computed it (RunMemo): the calls are encoded once. */
  inputsHash?: string
}

export type RunStatus = 'ok' | 'out-of-gas' | 'error'

export interface RunResult {
  status: RunStatus
  /** Why the run failed; absent when ok. */
  message?: string
  /** One output per call when ok, [] otherwise; `output` is the last. */
  outputs: Json[]
  output: Json
  /** The module's function exports, sorted; [] unless ok. */
  exports: string[]
  /** Events in emission order; [] unless ok. */
  events: ContractEvent[]
  /** The state after the run; the state before unless ok. */
  stateAfter: ContractState
  gasUsed: number
  gasLimit: number
  inputsHash: string
  stateRootBefore: string
  stateRootAfter: string
  eventsHash: string
  /**
   * False when the run was stopped by the host (wall clock, abort) or the host failed: such an outcome is not a
   * property of the inputs, so it must not be published or compared.
   */
  deterministic: boolean
}

/** Resolves a request's limits and checks them and its fields; a bad request is the caller's error. */
export function resolveLimits(req: RunRequest): ContractLimits {
  const limits: ContractLimits = {
    ...DEFAULT_LIMITS,
    ...req.limits,
    gasLimit: req.gasLimit ?? DEFAULT_LIMITS.gasLimit,
  }
  for (const [k, v] of Object.entries(limits))
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new SteleError('STELE_BAD_REQUEST', `contract limit ${k} must be a positive integer, got ${v}`)
  if (limits.gasLimit > MAX_GAS_LIMIT)
    throw new SteleError('STELE_BAD_REQUEST', `gasLimit ${limits.gasLimit} is over ${MAX_GAS_LIMIT}`)
  return limits
}

export function checkRequest(req: RunRequest, limits: ContractLimits): void {
  const bad = (m: string): never => {
    throw new SteleError('STELE_BAD_REQUEST', m)
  }
  if (typeof req.code !== 'string') bad('code: expected a string')
  if (Buffer.byteLength(req.code) > MAX_CODE_BYTES) bad(`code: over ${MAX_CODE_BYTES} bytes`)
  if (typeof req.contractId !== 'string' || req.contractId.length === 0 || req.contractId.length > 128)
    bad('contractId: a string of 1 to 128 characters')
  if (!Number.isSafeInteger(req.blockTime) || req.blockTime < 0) bad('blockTime: epoch milliseconds')
  if (!Array.isArray(req.calls)) bad('calls: expected an array (empty: load the module only)')
  for (const c of req.calls)
    if (typeof c?.handler !== 'string' || !HANDLER_RE.test(c.handler))
      bad(`calls: handler ${JSON.stringify(c?.handler)} is not an export name`)
  if (stateBytes(req.state) > limits.stateBytes) bad(`state: over ${limits.stateBytes} bytes`)
}

/** The bytes a state counts against its limit: UTF-8 of every key plus UTF-8 of its value's JSON. */
export function stateBytes(state: ContractState): number {
  let n = 0
  for (const [k, v] of Object.entries(state)) n += Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(v))
  return n
}

/** The canonical text of a request's calls, each as { handler, input }; a frozen call's kept text is reused. */
export function callsText(calls: readonly ContractCall[]): string {
  return canonicalJson(
    calls.map((c) => (isFrozenCanonical(c) ? c : { handler: c.handler, input: c.input })),
    'calls',
  )
}

/**
 * The inputs hash of a request: what a result commits to, so any node can re-run it (docs/contracts.md §6). The
 * canonical JSON of { blockTime, calls, codeHash, contractId, limits, seed, stateRoot }, written in that (sorted)
 * key order around the calls' text, which the run also hands to the sandbox: the calls are encoded once.
 */
export function inputsHash(
  req: RunRequest,
  limits = resolveLimits(req),
  rootBefore = stateRoot(req.state),
  calls = callsText(req.calls),
): string {
  const text =
    `{"blockTime":${canonicalJson(req.blockTime, 'blockTime')},"calls":${calls},` +
    `"codeHash":"${toHex(sha256(new TextEncoder().encode(req.code)))}",` +
    `"contractId":${canonicalJson(req.contractId, 'contractId')},"limits":${canonicalJson({ ...limits }, 'limits')},` +
    `"seed":"${toHex(req.seed)}","stateRoot":${JSON.stringify(rootBefore)}}`
  return taggedTextHash(INPUTS_TAG, text)
}
