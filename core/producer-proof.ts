/**
 * The `producer.registration` check (docs/protocol.md §6.4): a proof bundle whose block was signed by a producer
 * registered by node-register (not named in genesis) carries that producer's registration path. Each step is a
 * node-register transaction signed by the genesis authority with the producer role, its Merkle path in its block and
 * that block's signed header; the block must be signed by a genesis producer or by a producer an earlier step
 * registered in a lower block. Trust still comes only from genesis: the authority's signature says who may produce,
 * the producers' signatures say it is on chain.
 */
import { ROLES } from './account.ts'
import { decodeBlockHeader, verifyBlockSignature } from './block.ts'
import { equalBytes, fromHex, toHex } from './bytes.ts'
import type { Genesis } from './genesis.ts'
import { decodeNodeRegistration } from './ledger-payloads.ts'
import { leafHash, verifyInclusion } from './merkle.ts'
import { decodeTx, TX_TYPES, verifyTxSignature } from './transaction.ts'

/** One registration of a producer, as bundles carry it (hex, like every other byte string of a bundle). */
export interface RegistrationStep {
  /** The complete node-register transaction (type 5), body and signature. */
  tx: string
  txIndex: number
  txPath: string[]
  blockHeader: string
  blockSignature: string
}

/** A path longer than this is refused: a chain registers few producers, and a verifier bounds its work. */
export const MAX_REGISTRATIONS = 64

/** Producers a verifier knows: hex key -> the first height it may sign (1 for genesis producers). */
export type KnownProducers = ReadonlyMap<string, number>

/**
 * Runs the registration steps, oldest first, from the genesis producers. Returns the producers they prove, or the
 * reason the first bad step fails ("registration i: ...").
 */
export function checkRegistrations(
  steps: unknown,
  genesis: Genesis,
): { ok: true; producers: KnownProducers; message: string } | { ok: false; message: string } {
  const known = new Map<string, number>(genesis.producers.map((p) => [toHex(p), 1]))
  if (!Array.isArray(steps)) return { ok: false, message: 'registrations: expected an array' }
  if (steps.length > MAX_REGISTRATIONS)
    return { ok: false, message: `${steps.length} registrations, more than ${MAX_REGISTRATIONS}` }
  const added: string[] = []
  for (let i = 0; i < steps.length; i++) {
    try {
      const { node, height } = checkStep(steps[i] as RegistrationStep, genesis, known)
      // A node registered again (after a deregistration) keeps its first proven height.
      if (!known.has(node)) known.set(node, height + 1)
      added.push(`${node.slice(0, 16)}… from block ${height + 1}`)
    } catch (e) {
      return { ok: false, message: `registration ${i}: ${(e as Error).message}` }
    }
  }
  return {
    ok: true,
    producers: known,
    message: added.length ? `registered producers: ${added.join(', ')}` : 'no registrations',
  }
}

/** One step against the producers known so far; returns the node it registers and its block's height. */
function checkStep(
  s: RegistrationStep,
  genesis: Genesis,
  known: KnownProducers,
): { node: string; height: number } {
  if (!s || typeof s !== 'object') throw new TypeError('expected an object')
  if (!Number.isSafeInteger(s.txIndex) || s.txIndex < 0)
    throw new TypeError('txIndex: expected a non-negative integer')
  if (!Array.isArray(s.txPath)) throw new TypeError('txPath: expected an array')
  const path = s.txPath.map((h, i) => fromHex(String(h), `txPath[${i}]`, 32))
  const tx = decodeTx(fromHex(s.tx, 'tx'))
  if (tx.type !== TX_TYPES.NODE_REGISTER)
    throw new TypeError(`transaction type ${tx.type} is not node-register`)
  if (tx.chainId !== genesis.chainId) throw new TypeError(`transaction is for chain ${tx.chainId}`)
  if (!equalBytes(tx.signer, genesis.authority))
    throw new TypeError('the transaction is not signed by the genesis authority')
  if (!verifyTxSignature(tx)) throw new TypeError('the authority signature does not verify')
  const reg = decodeNodeRegistration(tx.payload)
  if ((reg.roles & ROLES.PRODUCER) === 0) throw new TypeError('the registration has no producer role')
  const node = toHex(reg.node)
  const header = fromHex(s.blockHeader, 'blockHeader')
  const block = decodeBlockHeader(header)
  if (block.chainId !== genesis.chainId) throw new TypeError(`block is for chain ${block.chainId}`)
  if (!verifyInclusion(leafHash(tx.hash), s.txIndex, block.txCount, path, block.txRoot))
    throw new TypeError('the transaction path does not lead to the block transaction root')
  const from = known.get(toHex(block.producer))
  if (from === undefined || block.height < from)
    throw new TypeError(`block ${block.height} is not signed by a producer known at that height`)
  if (!verifyBlockSignature(header, fromHex(s.blockSignature, 'blockSignature', 64), block.producer))
    throw new TypeError(`the producer signature over block ${block.height} does not verify`)
  return { node, height: block.height }
}

/** A check's outcome, as verify-proof.ts and account-proof.ts record it. */
export interface ProducerCheck {
  name: 'producer.registration' | 'block.producer'
  ok: boolean
  message: string
}

/**
 * The `producer.registration` check (only when the bundle carries `registrations`: bundles of genesis-producer
 * blocks have none and check as before) then `block.producer`, in order; the last one returned may have failed.
 */
export function producerChecks(
  genesis: Genesis,
  registrations: unknown,
  producer: Uint8Array,
  height: number,
): ProducerCheck[] {
  const out: ProducerCheck[] = []
  let known: KnownProducers = new Map(genesis.producers.map((p) => [toHex(p), 1]))
  if (registrations !== undefined) {
    const r = checkRegistrations(registrations, genesis)
    out.push({ name: 'producer.registration', ok: r.ok, message: r.message })
    if (!r.ok) return out
    known = r.producers
  }
  const from = known.get(toHex(producer))
  const message =
    from === undefined
      ? registrations === undefined
        ? 'the block producer is not named in genesis'
        : 'the block producer is neither named in genesis nor registered by the bundle'
      : height < from
        ? `the block producer is a producer from block ${from}, after block ${height}`
        : undefined
  out.push(
    message === undefined
      ? { name: 'block.producer', ok: true, message: `producer ${toHex(producer).slice(0, 16)}…` }
      : { name: 'block.producer', ok: false, message },
  )
  return out
}
