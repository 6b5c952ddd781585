import { checkRoles } from './account.ts'
import { readAmount, writeAmount } from './amount.ts'
import { abytes, ByteReader, ByteWriter, utf8 } from './bytes.ts'
import { SteleError } from './errors.ts'

/** Payloads of the ledger transaction types (docs/protocol.md §9.1). Each starts with the fee it pays. */

export const MAX_MEMO_BYTES = 64
export const MAX_ENDPOINTS = 8
export const MAX_ENDPOINT_BYTES = 128

/** TRANSFER (type 4): moves `amount` from the signer to `to`. */
export interface Transfer {
  fee: bigint
  to: Uint8Array
  amount: bigint
  /** At most 64 bytes of UTF-8; empty when none. */
  memo: string
}

/** FAUCET_GRANT (type 5): moves `amount` from the faucet account (the signer) to `to`. */
export interface FaucetGrant {
  fee: bigint
  to: Uint8Array
  amount: bigint
}

/** NODE_REGISTER (type 6), signed by the genesis authority. Roles 0 removes the registration. */
export interface NodeRegistration {
  fee: bigint
  node: Uint8Array
  /** ROLES bits. */
  roles: number
  /** Public endpoints: URLs (`scheme://…`) or multiaddrs (`/ip4/…`), at most 8, no duplicates. */
  endpoints: string[]
}

function memoTooLong(n: number): SteleError {
  return new SteleError('STELE_MEMO_TOO_LONG', `transfer: memo is ${n} bytes, at most ${MAX_MEMO_BYTES}`)
}

export function encodeTransfer(p: Transfer): Uint8Array {
  abytes(p.to, 'transfer: to', 32)
  const memo = utf8(p.memo)
  if (memo.length > MAX_MEMO_BYTES) throw memoTooLong(memo.length)
  const w = new ByteWriter(96)
  writeAmount(w, p.fee, 'transfer: fee').bytes(p.to)
  writeAmount(w, p.amount, 'transfer: amount')
  return w.str8(p.memo, 'memo', MAX_MEMO_BYTES).finish()
}

export function decodeTransfer(bytes: Uint8Array): Transfer {
  const rd = new ByteReader(bytes, 'transfer')
  const fee = readAmount(rd, 'fee')
  const to = new Uint8Array(rd.bytes(32, 'to'))
  const amount = readAmount(rd, 'amount')
  const memoLen = bytes[rd.offset]
  // A specific code for the one rule a wallet user can trip: the rest are malformed bytes.
  if (memoLen !== undefined && memoLen > MAX_MEMO_BYTES) throw memoTooLong(memoLen)
  const memo = rd.str8('memo', MAX_MEMO_BYTES)
  rd.end()
  return { fee, to, amount, memo }
}

export function encodeFaucetGrant(p: FaucetGrant): Uint8Array {
  abytes(p.to, 'faucet grant: to', 32)
  const w = new ByteWriter(48)
  writeAmount(w, p.fee, 'faucet grant: fee').bytes(p.to)
  return writeAmount(w, p.amount, 'faucet grant: amount').finish()
}

export function decodeFaucetGrant(bytes: Uint8Array): FaucetGrant {
  const rd = new ByteReader(bytes, 'faucet grant')
  const fee = readAmount(rd, 'fee')
  const to = new Uint8Array(rd.bytes(32, 'to'))
  const amount = readAmount(rd, 'amount')
  rd.end()
  return { fee, to, amount }
}

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\/[\x21-\x7e]+$/
const MULTIADDR_RE = /^\/[\x21-\x7e]+$/

/** Printable ASCII, 1…128 bytes, a URL with a scheme or a multiaddr. */
export function isValidEndpoint(s: string): boolean {
  return s.length <= MAX_ENDPOINT_BYTES && (URL_RE.test(s) || MULTIADDR_RE.test(s))
}

function checkEndpoints(endpoints: string[], what: string): void {
  if (endpoints.length > MAX_ENDPOINTS)
    throw new SteleError('STELE_BAD_ENCODING', `${what}: more than ${MAX_ENDPOINTS} endpoints`)
  const seen = new Set<string>()
  endpoints.forEach((e, i) => {
    if (!isValidEndpoint(e))
      throw new SteleError(
        'STELE_BAD_ENCODING',
        `${what}: endpoints[${i}] is not a URL or multiaddr of printable ASCII, at most ${MAX_ENDPOINT_BYTES} bytes`,
      )
    if (seen.has(e)) throw new SteleError('STELE_BAD_ENCODING', `${what}: endpoints[${i}] is a duplicate`)
    seen.add(e)
  })
}

/** The registration without its fee: the value of a node's leaf in the state map (namespace 3). */
export function encodeNodeEntry(p: Omit<NodeRegistration, 'fee'>): Uint8Array {
  abytes(p.node, 'node registration: node', 32)
  checkRoles(p.roles, 'node registration')
  checkEndpoints(p.endpoints, 'node registration')
  const w = new ByteWriter(64).bytes(p.node).u8(p.roles).u8(p.endpoints.length)
  for (const e of p.endpoints) w.str8(e, 'endpoint', MAX_ENDPOINT_BYTES)
  return w.finish()
}

function readNodeEntry(rd: ByteReader): Omit<NodeRegistration, 'fee'> {
  const node = new Uint8Array(rd.bytes(32, 'node'))
  const roles = checkRoles(rd.u8('roles'), 'node registration')
  const n = rd.u8('endpoints.count')
  if (n > MAX_ENDPOINTS)
    throw new SteleError('STELE_BAD_ENCODING', `node registration: more than ${MAX_ENDPOINTS} endpoints`)
  const endpoints: string[] = []
  for (let i = 0; i < n; i++) endpoints.push(rd.str8(`endpoints[${i}]`, MAX_ENDPOINT_BYTES))
  checkEndpoints(endpoints, 'node registration')
  return { node, roles, endpoints }
}

export function decodeNodeEntry(bytes: Uint8Array): Omit<NodeRegistration, 'fee'> {
  const rd = new ByteReader(bytes, 'node registration')
  const entry = readNodeEntry(rd)
  rd.end()
  return entry
}

export function encodeNodeRegistration(p: NodeRegistration): Uint8Array {
  const w = new ByteWriter(96)
  return writeAmount(w, p.fee, 'node registration: fee').bytes(encodeNodeEntry(p)).finish()
}

export function decodeNodeRegistration(bytes: Uint8Array): NodeRegistration {
  const rd = new ByteReader(bytes, 'node registration')
  const fee = readAmount(rd, 'fee')
  const entry = readNodeEntry(rd)
  rd.end()
  return { fee, ...entry }
}
