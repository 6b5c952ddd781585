import { type BatchHeader, decodeBatchHeader } from './batch.ts'
import { type BlockHeader, decodeBlockHeader, verifyBlockSignature } from './block.ts'
import { equalBytes, toHex } from './bytes.ts'
import { type Genesis, type GenesisJson, genesisFromJson, genesisHash, genesisToJson } from './genesis.ts'
import { sha256 } from './hash.ts'
import { leafHash, verifyInclusion } from './merkle.ts'
import { producerChecks } from './producer-proof.ts'
import { fromProofBundle, type ProofBundle, type ProofParts } from './proof.ts'
import { decodeRecord, type StampedRecord } from './record.ts'
import { decodeTx, type SignedTx, TX_TYPES, verifyTxSignature } from './transaction.ts'

export type CheckName =
  | 'bundle.format'
  | 'genesis.trusted'
  | 'record.decode'
  | 'batch.decode'
  | 'record.gateway'
  | 'record.inclusion'
  | 'batch.signature'
  | 'block.decode'
  | 'tx.inclusion'
  | 'producer.registration'
  | 'block.producer'
  | 'block.signature'

export interface Check {
  name: CheckName
  ok: boolean
  message: string
}

export interface ProofResult {
  ok: boolean
  checks: Check[]
  /** The first failed check's message, when not ok. */
  error?: string
  record?: StampedRecord
  block?: { height: number; time: number; hash: string }
}

/**
 * The genesis a caller trusts: decoded, in its JSON form (docs/protocol.md §5.1), or the JSON text of a file. The
 * last two are read inside the `genesis.trusted` check, so a broken trusted genesis fails that check like a
 * mismatching one, instead of stopping before any check.
 */
export type TrustedGenesis = Genesis | GenesisJson | string

/** Reads a trusted genesis in any of its forms; throws when it does not read (shared with account-proof.ts). */
export function readTrustedGenesis(t: TrustedGenesis): Genesis {
  if (typeof t === 'string') {
    let json: unknown
    try {
      json = JSON.parse(t)
    } catch {
      throw new TypeError('not JSON')
    }
    return genesisFromJson(json)
  }
  // A decoded genesis is held to the same rules as its JSON form: key lengths, a producer, an encodable time.
  return genesisFromJson(
    t && typeof t === 'object' && t.authority instanceof Uint8Array ? genesisToJson(t as Genesis) : t,
  )
}

/**
 * The `genesis.trusted` check every proof kind runs: which genesis the rest of the checks trust. With a trusted
 * genesis it must read and equal the bundle's; without one the bundle's own is trusted, and the message says so.
 */
export function checkTrustedGenesis(
  inBundle: Genesis,
  trusted: TrustedGenesis | undefined,
): { ok: true; genesis: Genesis; message: string } | { ok: false; message: string } {
  if (trusted === undefined)
    return {
      ok: true,
      genesis: inBundle,
      message: 'no trusted genesis given: trusting the genesis inside the bundle',
    }
  let t: Genesis
  try {
    t = readTrustedGenesis(trusted)
  } catch (e) {
    return { ok: false, message: `the trusted genesis does not read: ${(e as Error).message}` }
  }
  if (!equalBytes(genesisHash(t), genesisHash(inBundle)))
    return { ok: false, message: 'the bundle names another genesis than the trusted one' }
  return { ok: true, genesis: t, message: `genesis ${toHex(genesisHash(t))} matches the trusted genesis` }
}

/**
 * Verifies a proof bundle offline. Trust comes only from the genesis: the one passed in `trusted` when the caller
 * has it (recommended), else the one inside the bundle, which the result then says.
 */
export function verifyProof(bundle: ProofBundle, trusted?: TrustedGenesis): ProofResult {
  const checks: Check[] = []
  const pass = (name: CheckName, message: string): void => void checks.push({ name, ok: true, message })
  const fail = (name: CheckName, message: string): ProofResult => {
    checks.push({ name, ok: false, message })
    return { ok: false, checks, error: `${name}: ${message}` }
  }

  let parts: ProofParts
  let genesis: Genesis
  try {
    if (bundle?.format !== 'stele-proof/1')
      throw new TypeError(`unknown format ${JSON.stringify(bundle?.format)}`)
    parts = fromProofBundle(bundle)
    genesis = genesisFromJson(parts.genesis)
  } catch (e) {
    return fail('bundle.format', (e as Error).message)
  }
  pass('bundle.format', 'stele-proof/1')

  const g = checkTrustedGenesis(genesis, trusted)
  if (!g.ok) return fail('genesis.trusted', g.message)
  genesis = g.genesis
  pass('genesis.trusted', g.message)

  let record: StampedRecord
  try {
    record = decodeRecord(parts.record)
  } catch (e) {
    return fail('record.decode', (e as Error).message)
  }
  pass('record.decode', `record ${record.seq} of device ${record.device}`)

  let tx: SignedTx
  let batch: BatchHeader
  try {
    tx = decodeTx(parts.batchTx)
    if (tx.type !== TX_TYPES.RECORD_BATCH)
      throw new TypeError(`transaction type ${tx.type} is not a record batch`)
    if (tx.chainId !== genesis.chainId)
      throw new TypeError(`transaction is for chain ${tx.chainId}, not ${genesis.chainId}`)
    batch = decodeBatchHeader(tx.payload)
    if (tx.nonce !== batch.seq)
      throw new TypeError(`transaction nonce ${tx.nonce} is not the batch seq ${batch.seq}`)
  } catch (e) {
    return fail('batch.decode', (e as Error).message)
  }
  pass('batch.decode', `batch ${batch.seq} with ${batch.count} records`)

  if (!equalBytes(record.gateway, batch.gateway) || !equalBytes(batch.gateway, tx.signer))
    return fail('record.gateway', 'record, batch header and transaction signer name different gateways')
  if (parts.recordIndex !== record.seq - batch.firstRecordSeq || parts.recordIndex >= batch.count)
    return fail(
      'record.gateway',
      `record seq ${record.seq} is not at index ${parts.recordIndex} of the batch`,
    )
  if (record.time < batch.minTime || record.time > batch.maxTime)
    return fail('record.gateway', 'record time lies outside the batch time range')
  pass('record.gateway', `gateway ${toHex(batch.gateway).slice(0, 16)}…`)

  if (
    !verifyInclusion(
      leafHash(parts.record),
      parts.recordIndex,
      batch.count,
      parts.recordPath,
      batch.recordsRoot,
    )
  )
    return fail('record.inclusion', 'the record path does not lead to the batch records root')
  pass('record.inclusion', `leaf ${parts.recordIndex} of ${batch.count}`)

  if (!verifyTxSignature(tx))
    return fail('batch.signature', 'the gateway signature over the batch does not verify')
  pass('batch.signature', 'Ed25519 signature by the gateway verifies')

  let block: BlockHeader
  try {
    block = decodeBlockHeader(parts.blockHeader)
    if (block.chainId !== genesis.chainId)
      throw new TypeError(`block is for chain ${block.chainId}, not ${genesis.chainId}`)
  } catch (e) {
    return fail('block.decode', (e as Error).message)
  }
  pass('block.decode', `block ${block.height}`)

  if (!verifyInclusion(leafHash(tx.hash), parts.txIndex, block.txCount, parts.txPath, block.txRoot))
    return fail('tx.inclusion', 'the transaction path does not lead to the block transaction root')
  pass('tx.inclusion', `transaction ${parts.txIndex} of ${block.txCount}`)

  for (const c of producerChecks(genesis, bundle.registrations, block.producer, block.height))
    if (!c.ok) return fail(c.name, c.message)
    else pass(c.name, c.message)

  if (!verifyBlockSignature(parts.blockHeader, parts.blockSignature, block.producer))
    return fail('block.signature', 'the producer signature over the block header does not verify')
  pass('block.signature', 'Ed25519 signature by the producer verifies')

  return {
    ok: true,
    checks,
    record,
    block: { height: block.height, time: block.time, hash: toHex(sha256(parts.blockHeader)) },
  }
}
