import { readAmount, writeAmount } from './amount.ts'
import { ByteReader, ByteWriter } from './bytes.ts'
import { SteleError } from './errors.ts'

/** Role bits of an account and of a node registration. */
export const ROLES = { PRODUCER: 1, REPLICATOR: 2, EXECUTOR: 4 } as const
export const ROLE_MASK = ROLES.PRODUCER | ROLES.REPLICATOR | ROLES.EXECUTOR
export const ROLE_NAMES = ['producer', 'replicator', 'executor'] as const

export function rolesToNames(roles: number): string[] {
  return ROLE_NAMES.filter((_, i) => (roles & (1 << i)) !== 0)
}

/** State of one account: the value of its leaf in the state map (namespace 1). */
export interface AccountState {
  /** Integer base units. */
  balance: bigint
  /** The next nonce this account's signer must use. */
  nonce: number
  /** ROLES bits. */
  roles: number
}

export const ACCOUNT_VERSION = 1
export const ACCOUNT_SIZE = 18
export const emptyAccount = (): AccountState => ({ balance: 0n, nonce: 0, roles: 0 })

export function checkRoles(roles: number, what: string): number {
  if (!Number.isInteger(roles) || roles < 0 || (roles & ~ROLE_MASK) !== 0)
    throw new SteleError('STELE_BAD_ENCODING', `${what}: roles has unknown bits (${roles})`)
  return roles
}

export function encodeAccount(a: AccountState): Uint8Array {
  const w = new ByteWriter(ACCOUNT_SIZE).u8(ACCOUNT_VERSION)
  writeAmount(w, a.balance, 'account: balance')
  return w.u64(a.nonce).u8(checkRoles(a.roles, 'account')).finish()
}

export function decodeAccount(bytes: Uint8Array): AccountState {
  const rd = new ByteReader(bytes, 'account')
  const version = rd.u8('version')
  if (version !== ACCOUNT_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `account: unsupported version ${version}`)
  const balance = readAmount(rd, 'balance')
  const nonce = rd.u64('nonce')
  const roles = checkRoles(rd.u8('roles'), 'account')
  rd.end()
  return { balance, nonce, roles }
}
