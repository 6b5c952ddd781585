import { readAmount, writeAmount } from './amount.ts'
import { abytes, ByteReader, ByteWriter, equalBytes, utf8 } from './bytes.ts'
import { SteleError } from './errors.ts'
import { isValidId, LIMITS } from './reading.ts'
import { STATE_NS, stateKey } from './state-map.ts'

/**
 * Payloads of the contract transactions (docs/protocol.md §10) and the value of a contract's leaf in the state map
 * (namespace 5). Each payload starts with the fee it pays. JSON fields (call arguments, a result's events and
 * state) are UTF-8 text; the ledger rules require them in canonical form (docs/contracts.md §6).
 */

export const MAX_CONTRACT_NAME_BYTES = 64
export const MAX_CID_BYTES = 100
export const MAX_FILTER_ENTRIES = 16
export const MAX_CALL_ARGS_BYTES = 4096
export const MAX_PENDING_CALLS = 16
export const MAX_RESULT_MESSAGE_BYTES = 1024
/** A result's events and its state after, as JSON text; the on-chain limits keep a run's within these. */
export const MAX_RESULT_EVENTS_BYTES = 20 * 1024
export const MAX_RESULT_STATE_BYTES = 24 * 1024
/** Gas one invocation may ask for (node/executor/limits.ts MAX_GAS_LIMIT). */
export const MAX_CONTRACT_GAS = 100_000_000
const FN_RE = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/
const CID_RE = /^b[a-z2-7]{20,99}$/
export const ZERO_CALL = new Uint8Array(32)

export const RESULT_STATUSES = ['ok', 'out-of-gas', 'error'] as const
export type ResultStatus = (typeof RESULT_STATUSES)[number]

/** Readings a contract runs on: an empty list matches every value of that field. */
export interface ContractFilter {
  devices: string[]
  sensors: string[]
  /** Gateway public keys. */
  gateways: Uint8Array[]
}

/** CONTRACT_DEPLOY (type 12): the contract's id is the hash of this transaction. */
export interface ContractDeploy {
  fee: bigint
  name: string
  /** CIDv1 (base32) of the code, held in the node's storage. */
  codeCid: string
  /** Gas of each block run. */
  gasLimit: number
  filter: ContractFilter
}

/** CONTRACT_CALL (type 13): `fn(args)` on the contract, `gas` of it paid at gasPrice from the signer's balance. */
export interface ContractCallTx {
  fee: bigint
  contract: Uint8Array
  fn: string
  /** JSON text. */
  args: string
  gas: number
}

/** CONTRACT_RESULT (type 14): one run, signed by the executor that ran it. */
export interface ContractResult {
  fee: bigint
  contract: Uint8Array
  /** The block whose readings (or whose call) the run took. */
  height: number
  blockHash: Uint8Array
  /** The contract-call transaction the run answers; 32 zero bytes for a block run. */
  call: Uint8Array
  inputsHash: Uint8Array
  stateRootBefore: Uint8Array
  stateRootAfter: Uint8Array
  eventsHash: Uint8Array
  gasUsed: number
  status: ResultStatus
  /** Empty when ok. */
  message: string
  /** JSON text of the run's events: [{ name, data }]. */
  events: string
  /** JSON text of the contract's state after the run. */
  state: string
}

/** A call waiting for its result, kept in the contract's leaf. */
export interface PendingCall {
  hash: Uint8Array
  caller: Uint8Array
  fn: string
  args: string
  gas: number
}

/** The value of a contract's leaf (namespace 5, id = deploy transaction hash). */
export interface ContractEntry {
  owner: Uint8Array
  name: string
  codeCid: string
  gasLimit: number
  filter: ContractFilter
  /** Height of the last block run (0: none yet). */
  lastHeight: number
  /** Results applied so far. */
  results: number
  stateRoot: Uint8Array
  /** JSON text of the state. */
  state: string
  calls: PendingCall[]
}

export function contractStateKey(id: Uint8Array): Uint8Array {
  return stateKey(STATE_NS.CONTRACT, abytes(id, 'contract id', 32))
}

const bad = (what: string, m: string): SteleError => new SteleError('STELE_BAD_ENCODING', `${what}: ${m}`)

function checkGas(g: number, what: string, field: string): number {
  if (!Number.isSafeInteger(g) || g < 1 || g > MAX_CONTRACT_GAS)
    throw bad(what, `${field} must be an integer in 1…${MAX_CONTRACT_GAS}`)
  return g
}

function checkJsonText(s: string, what: string, field: string, max: number): string {
  if (typeof s !== 'string' || utf8(s).length > max) throw bad(what, `${field} over ${max} bytes`)
  try {
    JSON.parse(s)
  } catch {
    throw bad(what, `${field} is not JSON`)
  }
  return s
}

function checkName(s: string, what: string): string {
  const n = utf8(s).length
  if (n < 1 || n > MAX_CONTRACT_NAME_BYTES) throw bad(what, `name must be 1…${MAX_CONTRACT_NAME_BYTES} bytes`)
  return s
}

function checkCid(s: string, what: string): string {
  if (!CID_RE.test(s)) throw bad(what, 'codeCid must be a base32 CIDv1 (b…)')
  return s
}

function checkFn(s: string, what: string): string {
  if (!FN_RE.test(s)) throw bad(what, 'fn must be an export name')
  return s
}

function writeJson(w: ByteWriter, s: string): void {
  w.var32(utf8(s))
}

function readJson(rd: ByteReader, what: string, field: string, max: number): string {
  const b = rd.var32(field, max)
  let s: string
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(b)
  } catch (cause) {
    throw new SteleError('STELE_BAD_ENCODING', `${what}: ${field} is not valid UTF-8`, { cause })
  }
  return checkJsonText(s, what, field, max)
}

function checkFilter(f: ContractFilter, what: string): void {
  for (const [k, list] of Object.entries(f) as [string, unknown[]][])
    if (list.length > MAX_FILTER_ENTRIES)
      throw bad(what, `filter.${k}: more than ${MAX_FILTER_ENTRIES} entries`)
  for (const d of f.devices)
    if (!isValidId(d, LIMITS.deviceIdBytes))
      throw bad(what, `filter.devices: ${JSON.stringify(d)} is not an id`)
  for (const s of f.sensors)
    if (!isValidId(s, LIMITS.sensorBytes))
      throw bad(what, `filter.sensors: ${JSON.stringify(s)} is not an id`)
  for (const g of f.gateways) abytes(g, `${what}: filter.gateways`, 32)
}

function writeFilter(w: ByteWriter, f: ContractFilter, what: string): void {
  checkFilter(f, what)
  w.u8(f.devices.length)
  for (const d of f.devices) w.str8(d, 'device', LIMITS.deviceIdBytes)
  w.u8(f.sensors.length)
  for (const s of f.sensors) w.str8(s, 'sensor', LIMITS.sensorBytes)
  w.u8(f.gateways.length)
  for (const g of f.gateways) w.bytes(g)
}

function readFilter(rd: ByteReader, what: string): ContractFilter {
  const list = <T>(field: string, read: (i: number) => T): T[] => {
    const n = rd.u8(`filter.${field}.count`)
    if (n > MAX_FILTER_ENTRIES) throw bad(what, `filter.${field}: more than ${MAX_FILTER_ENTRIES} entries`)
    return Array.from({ length: n }, (_, i) => read(i))
  }
  const f: ContractFilter = {
    devices: list('devices', (i) => rd.str8(`filter.devices[${i}]`, LIMITS.deviceIdBytes)),
    sensors: list('sensors', (i) => rd.str8(`filter.sensors[${i}]`, LIMITS.sensorBytes)),
    gateways: list('gateways', (i) => new Uint8Array(rd.bytes(32, `filter.gateways[${i}]`))),
  }
  checkFilter(f, what)
  return f
}

/** Whether a reading (device, sensor, gateway key) passes a filter. */
export function filterMatches(
  f: ContractFilter,
  r: { device: string; sensor: string; gateway: Uint8Array },
): boolean {
  return (
    (f.devices.length === 0 || f.devices.includes(r.device)) &&
    (f.sensors.length === 0 || f.sensors.includes(r.sensor)) &&
    (f.gateways.length === 0 || f.gateways.some((g) => equalBytes(g, r.gateway)))
  )
}

export function encodeContractDeploy(p: ContractDeploy): Uint8Array {
  const what = 'contract deploy'
  const w = new ByteWriter(256)
  writeAmount(w, p.fee, `${what}: fee`)
  w.str8(checkName(p.name, what), 'name', MAX_CONTRACT_NAME_BYTES)
  w.str8(checkCid(p.codeCid, what), 'codeCid', MAX_CID_BYTES)
  w.u64(checkGas(p.gasLimit, what, 'gasLimit'))
  writeFilter(w, p.filter, what)
  return w.finish()
}

export function decodeContractDeploy(bytes: Uint8Array): ContractDeploy {
  const what = 'contract deploy'
  const rd = new ByteReader(bytes, what)
  const fee = readAmount(rd, 'fee')
  const name = checkName(rd.str8('name', MAX_CONTRACT_NAME_BYTES), what)
  const codeCid = checkCid(rd.str8('codeCid', MAX_CID_BYTES), what)
  const gasLimit = checkGas(rd.u64('gasLimit'), what, 'gasLimit')
  const filter = readFilter(rd, what)
  rd.end()
  return { fee, name, codeCid, gasLimit, filter }
}

export function encodeContractCall(p: ContractCallTx): Uint8Array {
  const what = 'contract call'
  abytes(p.contract, `${what}: contract`, 32)
  const w = new ByteWriter(128)
  writeAmount(w, p.fee, `${what}: fee`).bytes(p.contract)
  w.str8(checkFn(p.fn, what), 'fn', 64)
  writeJson(w, checkJsonText(p.args, what, 'args', MAX_CALL_ARGS_BYTES))
  return w.u64(checkGas(p.gas, what, 'gas')).finish()
}

export function decodeContractCall(bytes: Uint8Array): ContractCallTx {
  const what = 'contract call'
  const rd = new ByteReader(bytes, what)
  const fee = readAmount(rd, 'fee')
  const contract = new Uint8Array(rd.bytes(32, 'contract'))
  const fn = checkFn(rd.str8('fn', 64), what)
  const args = readJson(rd, what, 'args', MAX_CALL_ARGS_BYTES)
  const gas = checkGas(rd.u64('gas'), what, 'gas')
  rd.end()
  return { fee, contract, fn, args, gas }
}

export function encodeContractResult(p: ContractResult): Uint8Array {
  const what = 'contract result'
  for (const k of [
    'contract',
    'blockHash',
    'call',
    'inputsHash',
    'stateRootBefore',
    'stateRootAfter',
    'eventsHash',
  ] as const)
    abytes(p[k], `${what}: ${k}`, 32)
  const status = RESULT_STATUSES.indexOf(p.status)
  if (status < 0) throw bad(what, `status must be one of ${RESULT_STATUSES.join(', ')}`)
  if (!Number.isSafeInteger(p.height) || p.height < 1) throw bad(what, 'height must be at least 1')
  if (!Number.isSafeInteger(p.gasUsed) || p.gasUsed < 0) throw bad(what, 'gasUsed must be an integer ≥ 0')
  const message = utf8(p.message)
  if (message.length > MAX_RESULT_MESSAGE_BYTES)
    throw bad(what, `message over ${MAX_RESULT_MESSAGE_BYTES} bytes`)
  const w = new ByteWriter(512)
  writeAmount(w, p.fee, `${what}: fee`)
    .bytes(p.contract)
    .u64(p.height)
    .bytes(p.blockHash)
    .bytes(p.call)
    .bytes(p.inputsHash)
    .bytes(p.stateRootBefore)
    .bytes(p.stateRootAfter)
    .bytes(p.eventsHash)
    .u64(p.gasUsed)
    .u8(status)
    .var32(message)
  writeJson(w, checkJsonText(p.events, what, 'events', MAX_RESULT_EVENTS_BYTES))
  writeJson(w, checkJsonText(p.state, what, 'state', MAX_RESULT_STATE_BYTES))
  return w.finish()
}

export function decodeContractResult(bytes: Uint8Array): ContractResult {
  const what = 'contract result'
  const rd = new ByteReader(bytes, what)
  const fee = readAmount(rd, 'fee')
  const h32 = (f: string) => new Uint8Array(rd.bytes(32, f))
  const contract = h32('contract')
  const height = rd.u64('height')
  if (height < 1) throw bad(what, 'height must be at least 1')
  const blockHash = h32('blockHash')
  const call = h32('call')
  const inputsHash = h32('inputsHash')
  const stateRootBefore = h32('stateRootBefore')
  const stateRootAfter = h32('stateRootAfter')
  const eventsHash = h32('eventsHash')
  const gasUsed = rd.u64('gasUsed')
  const s = rd.u8('status')
  const status = RESULT_STATUSES[s]
  if (!status) throw bad(what, `unknown status ${s}`)
  let message: string
  try {
    message = new TextDecoder('utf-8', { fatal: true }).decode(rd.var32('message', MAX_RESULT_MESSAGE_BYTES))
  } catch (cause) {
    if (cause instanceof SteleError) throw cause
    throw new SteleError('STELE_BAD_ENCODING', `${what}: message is not valid UTF-8`, { cause })
  }
  const events = readJson(rd, what, 'events', MAX_RESULT_EVENTS_BYTES)
  const state = readJson(rd, what, 'state', MAX_RESULT_STATE_BYTES)
  rd.end()
  return {
    fee,
    contract,
    height,
    blockHash,
    call,
    inputsHash,
    stateRootBefore,
    stateRootAfter,
    eventsHash,
    gasUsed,
    status,
    message,
    events,
    state,
  }
}

export function encodeContractEntry(e: ContractEntry): Uint8Array {
  const what = 'contract entry'
  abytes(e.owner, `${what}: owner`, 32)
  abytes(e.stateRoot, `${what}: stateRoot`, 32)
  if (e.calls.length > MAX_PENDING_CALLS) throw bad(what, `more than ${MAX_PENDING_CALLS} pending calls`)
  const w = new ByteWriter(512).bytes(e.owner)
  w.str8(checkName(e.name, what), 'name', MAX_CONTRACT_NAME_BYTES)
  w.str8(checkCid(e.codeCid, what), 'codeCid', MAX_CID_BYTES)
  w.u64(checkGas(e.gasLimit, what, 'gasLimit'))
  writeFilter(w, e.filter, what)
  w.u64(e.lastHeight).u64(e.results).bytes(e.stateRoot)
  writeJson(w, e.state)
  w.u8(e.calls.length)
  for (const c of e.calls) {
    w.bytes(abytes(c.hash, `${what}: call hash`, 32)).bytes(abytes(c.caller, `${what}: caller`, 32))
    w.str8(checkFn(c.fn, what), 'fn', 64)
    writeJson(w, c.args)
    w.u64(checkGas(c.gas, what, 'gas'))
  }
  return w.finish()
}

export function decodeContractEntry(bytes: Uint8Array): ContractEntry {
  const what = 'contract entry'
  const rd = new ByteReader(bytes, what)
  const owner = new Uint8Array(rd.bytes(32, 'owner'))
  const name = checkName(rd.str8('name', MAX_CONTRACT_NAME_BYTES), what)
  const codeCid = checkCid(rd.str8('codeCid', MAX_CID_BYTES), what)
  const gasLimit = checkGas(rd.u64('gasLimit'), what, 'gasLimit')
  const filter = readFilter(rd, what)
  const lastHeight = rd.u64('lastHeight')
  const results = rd.u64('results')
  const stateRoot = new Uint8Array(rd.bytes(32, 'stateRoot'))
  const state = readJson(rd, what, 'state', MAX_RESULT_STATE_BYTES)
  const n = rd.u8('calls.count')
  if (n > MAX_PENDING_CALLS) throw bad(what, `more than ${MAX_PENDING_CALLS} pending calls`)
  const calls: PendingCall[] = []
  for (let i = 0; i < n; i++) {
    const hash = new Uint8Array(rd.bytes(32, `calls[${i}].hash`))
    const caller = new Uint8Array(rd.bytes(32, `calls[${i}].caller`))
    const fn = checkFn(rd.str8(`calls[${i}].fn`, 64), what)
    const args = readJson(rd, what, `calls[${i}].args`, MAX_CALL_ARGS_BYTES)
    const gas = checkGas(rd.u64(`calls[${i}].gas`), what, 'gas')
    calls.push({ hash, caller, fn, args, gas })
  }
  rd.end()
  return { owner, name, codeCid, gasLimit, filter, lastHeight, results, stateRoot, state, calls }
}
