import { type AccountState, decodeAccount } from './account.ts'
import { type BlockHeader, decodeBlockHeader, verifyBlockSignature } from './block.ts'
import { fromHex, toHex } from './bytes.ts'
import { type Genesis, type GenesisJson, genesisFromJson } from './genesis.ts'
import { sha256 } from './hash.ts'
import { producerChecks, type RegistrationStep } from './producer-proof.ts'
import { decodeStateProof, STATE_NS, type StateProof, stateKey, stateProofError } from './state-map.ts'
import { checkTrustedGenesis, type TrustedGenesis } from './verify-proof.ts'

export const ACCOUNT_PROOF_FORMAT = 'stele-account-proof/1'

/**
 * Everything needed to check one account's state offline (docs/protocol.md §9.7): the account, its value in the
 * state map (null: no such account), the state proof against the state root of a signed version 2 block header,
 * and the genesis naming the producer. Byte strings are lowercase hex; nothing in it is informational.
 */
export interface AccountProofBundle {
  format: typeof ACCOUNT_PROOF_FORMAT
  account: string
  value: string | null
  stateProof: string
  blockHeader: string
  blockSignature: string
  genesis: GenesisJson
  /** The block producer's registration path, when it is not a genesis producer (§6.4). */
  registrations?: RegistrationStep[]
}

export type AccountCheckName =
  | 'bundle.format'
  | 'genesis.trusted'
  | 'block.decode'
  | 'producer.registration'
  | 'block.producer'
  | 'block.signature'
  | 'state.proof'

export interface AccountCheck {
  name: AccountCheckName
  ok: boolean
  message: string
}

export interface AccountProofResult {
  ok: boolean
  checks: AccountCheck[]
  error?: string
  account?: string
  /** The proven state; null when the proof shows the account absent (never used, or back to empty). */
  state?: AccountState | null
  block?: { height: number; time: number; hash: string; stateRoot: string }
}

export function isAccountProofBundle(b: unknown): b is AccountProofBundle {
  return (b as { format?: unknown } | null)?.format === ACCOUNT_PROOF_FORMAT
}

export function toAccountProofBundle(p: {
  account: Uint8Array
  value: Uint8Array | null
  stateProof: Uint8Array
  blockHeader: Uint8Array
  blockSignature: Uint8Array
  genesis: GenesisJson
  registrations?: RegistrationStep[] | undefined
}): AccountProofBundle {
  const bundle: AccountProofBundle = {
    format: ACCOUNT_PROOF_FORMAT,
    account: toHex(p.account),
    value: p.value === null ? null : toHex(p.value),
    stateProof: toHex(p.stateProof),
    blockHeader: toHex(p.blockHeader),
    blockSignature: toHex(p.blockSignature),
    genesis: p.genesis,
  }
  if (p.registrations) bundle.registrations = p.registrations
  return bundle
}

/**
 * Verifies an account proof offline, trusting only a genesis: `trusted` when given (recommended), else the one in
 * the bundle. Checks in order, each named; the first failure ends the run.
 */
export function verifyAccountProof(bundle: AccountProofBundle, trusted?: TrustedGenesis): AccountProofResult {
  const checks: AccountCheck[] = []
  const pass = (name: AccountCheckName, message: string): void =>
    void checks.push({ name, ok: true, message })
  const fail = (name: AccountCheckName, message: string): AccountProofResult => {
    checks.push({ name, ok: false, message })
    return { ok: false, checks, error: `${name}: ${message}` }
  }

  let account: Uint8Array
  let value: Uint8Array | null
  let proof: StateProof
  let header: Uint8Array
  let signature: Uint8Array
  let genesis: Genesis
  try {
    if (!isAccountProofBundle(bundle))
      throw new TypeError(`unknown format ${JSON.stringify((bundle as { format?: unknown } | null)?.format)}`)
    account = fromHex(bundle.account, 'account', 32)
    value = bundle.value === null ? null : fromHex(bundle.value, 'value')
    proof = decodeStateProof(fromHex(bundle.stateProof, 'stateProof'))
    header = fromHex(bundle.blockHeader, 'blockHeader')
    signature = fromHex(bundle.blockSignature, 'blockSignature', 64)
    genesis = genesisFromJson(bundle.genesis)
  } catch (e) {
    return fail('bundle.format', (e as Error).message)
  }
  pass('bundle.format', ACCOUNT_PROOF_FORMAT)

  const g = checkTrustedGenesis(genesis, trusted)
  if (!g.ok) return fail('genesis.trusted', g.message)
  genesis = g.genesis
  pass('genesis.trusted', g.message)

  let block: BlockHeader
  try {
    block = decodeBlockHeader(header)
    if (block.chainId !== genesis.chainId)
      throw new TypeError(`block is for chain ${block.chainId}, not ${genesis.chainId}`)
    if (!block.stateRoot) throw new TypeError('the block header (version 1) commits to no state root')
  } catch (e) {
    return fail('block.decode', (e as Error).message)
  }
  pass('block.decode', `block ${block.height}`)

  for (const c of producerChecks(genesis, bundle.registrations, block.producer, block.height))
    if (!c.ok) return fail(c.name, c.message)
    else pass(c.name, c.message)

  if (!verifyBlockSignature(header, signature, block.producer))
    return fail('block.signature', 'the producer signature over the block header does not verify')
  pass('block.signature', 'Ed25519 signature by the producer verifies')

  const why = stateProofError(block.stateRoot, stateKey(STATE_NS.ACCOUNT, account), value, proof)
  if (why !== undefined) return fail('state.proof', why)
  let state: AccountState | null = null
  if (value !== null) {
    try {
      state = decodeAccount(value)
    } catch (e) {
      return fail('state.proof', `the proven value is not an account: ${(e as Error).message}`)
    }
  }
  pass(
    'state.proof',
    state
      ? `account holds ${state.balance} base units, next nonce ${state.nonce}`
      : 'the account is absent from the state (non-inclusion)',
  )
  return {
    ok: true,
    checks,
    account: toHex(account),
    state,
    block: {
      height: block.height,
      time: block.time,
      hash: toHex(sha256(header)),
      stateRoot: toHex(block.stateRoot),
    },
  }
}
