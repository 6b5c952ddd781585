import { CID } from 'multiformats/cid'
import { toHex } from '../../core/bytes.ts'
import { encodeDrivePut } from '../../core/drive-payloads.ts'
import type { KeyPair } from '../../core/ed25519.ts'
import { SteleError } from '../../core/errors.ts'
import type { Genesis } from '../../core/genesis.ts'
import { minFee } from '../../core/genesis-ledger.ts'
import { backgroundTimers } from '../../core/timers.ts'
import { signTx, TX_TYPES } from '../../core/transaction.ts'
import type { LedgerClient } from '../ledger-client.ts'

export interface Announced {
  hash: string
  height: number
  blockHash: string
}

/** The ledger part of the genesis, or STELE_UNAVAILABLE on a chain without one. */
export function ledgerOf(genesis: Genesis): NonNullable<Genesis['ledger']> {
  if (!genesis.ledger)
    throw new SteleError('STELE_UNAVAILABLE', 'this chain has no ledger (its genesis is version 1)')
  return genesis.ledger
}

/** The genesis minimum fee of a transaction type. */
export const feeOf = (genesis: Genesis, type: number): bigint => minFee(ledgerOf(genesis), type)

/**
 * Signs a transaction locally, announces it (POST /v1/transactions) and waits for its block, as `stele transfer`
 * does: the nonce is the account's next one counting its pending transactions, so commands can follow one another.
 */
export async function announceAndWait(
  client: LedgerClient,
  genesis: Genesis,
  key: KeyPair,
  type: number,
  payload: Uint8Array,
  timeoutMs: number,
): Promise<Announced> {
  const me = await client.call(`/v1/accounts/${toHex(key.publicKey)}`)
  const tx = signTx(
    { type, chainId: genesis.chainId, signer: key.publicKey, nonce: me.pending.nonce, payload },
    key.secretKey,
  )
  const sent = await client.call('/v1/transactions', { tx: Buffer.from(tx.bytes).toString('base64') })
  const done = await client.waitConfirmed(sent.hash, backgroundTimers, timeoutMs)
  const block = await client.call(`/v1/blocks/${done.blockHeight}`)
  return { hash: sent.hash, height: done.blockHeight, blockHash: String(block.hash) }
}

/** Puts a file the node holds into a drive under `name` (its size and DAG size from the node's stat). */
export async function putInDrive(
  client: LedgerClient,
  genesis: Genesis,
  key: KeyPair,
  p: { drive: Uint8Array; name: string; cid: string; fee?: bigint | undefined },
  timeoutMs: number,
): Promise<Announced> {
  const cid = CID.parse(p.cid)
  const st = await client.call(`/v1/storage/files/${cid}/stat`)
  const payload = encodeDrivePut({
    fee: p.fee ?? feeOf(genesis, TX_TYPES.DRIVE_PUT),
    drive: p.drive,
    name: p.name,
    cid: cid.bytes,
    size: st.size,
    tsize: st.tsize,
  })
  return announceAndWait(client, genesis, key, TX_TYPES.DRIVE_PUT, payload, timeoutMs)
}
