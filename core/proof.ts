import { fromHex, toHex } from './bytes.ts'
import type { GenesisJson } from './genesis.ts'
import type { RegistrationStep } from './producer-proof.ts'

/**
 * Everything needed to check one reading offline: the record and its path to the batch root, the gateway-signed
 * batch transaction and its path to the block's transaction root, the signed block header, and the genesis that
 * names the producer. All byte strings are lowercase hex. docs/protocol.md §6 specifies each check.
 */
export interface ProofBundle {
  format: 'stele-proof/1'
  /** Informational copy of the decoded record; the verifier reads only the bytes. */
  reading?: unknown
  record: string
  recordIndex: number
  recordPath: string[]
  batchTx: string
  txIndex: number
  txPath: string[]
  blockHeader: string
  blockSignature: string
  genesis: GenesisJson
  /** The block producer's registration path, when it is not a genesis producer (docs/protocol.md §6.4). */
  registrations?: RegistrationStep[]
}

export interface ProofParts {
  record: Uint8Array
  recordIndex: number
  recordPath: Uint8Array[]
  batchTx: Uint8Array
  txIndex: number
  txPath: Uint8Array[]
  blockHeader: Uint8Array
  blockSignature: Uint8Array
  genesis: GenesisJson
}

export function toProofBundle(
  p: ProofParts,
  reading?: unknown,
  registrations?: RegistrationStep[],
): ProofBundle {
  const bundle: ProofBundle = {
    format: 'stele-proof/1',
    record: toHex(p.record),
    recordIndex: p.recordIndex,
    recordPath: p.recordPath.map(toHex),
    batchTx: toHex(p.batchTx),
    txIndex: p.txIndex,
    txPath: p.txPath.map(toHex),
    blockHeader: toHex(p.blockHeader),
    blockSignature: toHex(p.blockSignature),
    genesis: p.genesis,
  }
  if (reading !== undefined) bundle.reading = reading
  if (registrations) bundle.registrations = registrations
  return bundle
}

/** Decodes the hex fields; throws a SteleError naming the first bad field. */
export function fromProofBundle(b: ProofBundle): ProofParts {
  const list = (v: unknown, field: string): Uint8Array[] => {
    if (!Array.isArray(v)) throw new TypeError(`${field}: expected an array`)
    return v.map((h, i) => fromHex(String(h), `${field}[${i}]`, 32))
  }
  const int = (v: unknown, field: string): number => {
    if (!Number.isSafeInteger(v) || (v as number) < 0)
      throw new TypeError(`${field}: expected a non-negative integer`)
    return v as number
  }
  return {
    record: fromHex(b.record, 'record'),
    recordIndex: int(b.recordIndex, 'recordIndex'),
    recordPath: list(b.recordPath, 'recordPath'),
    batchTx: fromHex(b.batchTx, 'batchTx'),
    txIndex: int(b.txIndex, 'txIndex'),
    txPath: list(b.txPath, 'txPath'),
    blockHeader: fromHex(b.blockHeader, 'blockHeader'),
    blockSignature: fromHex(b.blockSignature, 'blockSignature', 64),
    genesis: b.genesis,
  }
}
