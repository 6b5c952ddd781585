/**
 * The registration path a proof bundle carries when its block was signed by a producer registered by node-register
 * (docs/protocol.md §6.4, checked by core/producer-proof.ts): that producer's latest registration before the block,
 * then the registration of whoever signed the registration's block, and so on down to a genesis producer. Heights
 * strictly fall along the path, so it ends; it is returned oldest first, as the verifier runs it.
 */
import { ROLES } from '../../core/account.ts'
import { decodeBlockHeader } from '../../core/block.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import { decodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { inclusionPath, leafHash } from '../../core/merkle.ts'
import { MAX_REGISTRATIONS, type RegistrationStep } from '../../core/producer-proof.ts'
import { decodeTx, TX_TYPES } from '../../core/transaction.ts'
import { decodeStoredBlock, decodeStoredTx } from '../db/codec.ts'
import type { Db } from '../db/db.ts'
import { K } from '../db/keys.ts'
import { LA } from '../ledger/account-index.ts'

/** The path for a block at `height` signed by `producer`; undefined for a genesis producer (no path needed). */
export async function registrationPath(
  db: Db,
  genesis: Genesis,
  producer: Uint8Array,
  height: number,
): Promise<RegistrationStep[] | undefined> {
  if (genesis.producers.some((p) => equalBytes(p, producer))) return undefined
  const steps: RegistrationStep[] = []
  let signer = producer
  let below = height
  while (!genesis.producers.some((p) => equalBytes(p, signer))) {
    if (steps.length === MAX_REGISTRATIONS)
      throw new SteleError(
        'STELE_STORAGE',
        `more than ${MAX_REGISTRATIONS} registrations behind block ${height}`,
      )
    const found = await latestRegistration(db, genesis.authority, signer, below)
    steps.push(found.step)
    signer = found.producer
    below = found.height
  }
  return steps.reverse()
}

/** The authority's latest node-register of `node` in a block below `below`: it must grant the producer role. */
async function latestRegistration(
  db: Db,
  authority: Uint8Array,
  node: Uint8Array,
  below: number,
): Promise<{ step: RegistrationStep; producer: Uint8Array; height: number }> {
  const key = toHex(node)
  const range = { gt: LA.prefix(key), lt: LA.key(key, below, 0), reverse: true }
  for await (const hash of db.values(range)) {
    const stored = await db.get(K.tx(toHex(hash)))
    if (!stored) continue
    const { height, index, tx: bytes } = decodeStoredTx(stored)
    const tx = decodeTx(bytes)
    if (tx.type !== TX_TYPES.NODE_REGISTER || !equalBytes(tx.signer, authority)) continue
    const reg = decodeNodeRegistration(tx.payload)
    if (!equalBytes(reg.node, node)) continue
    if ((reg.roles & ROLES.PRODUCER) === 0) break
    const block = await db.get(K.block(height))
    if (!block) break
    const b = decodeStoredBlock(block)
    return {
      step: {
        tx: toHex(bytes),
        txIndex: index,
        txPath: inclusionPath(b.txHashes.map(leafHash), index).map(toHex),
        blockHeader: toHex(b.header),
        blockSignature: toHex(b.signature),
      },
      producer: decodeBlockHeader(b.header).producer,
      height,
    }
  }
  throw new SteleError(
    'STELE_STORAGE',
    `no registration of producer ${key.slice(0, 16)}… before block ${below} is stored`,
  )
}
