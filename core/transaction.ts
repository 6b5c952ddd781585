import { ByteReader, ByteWriter, utf8 } from './bytes.ts'
import { signMessage, verifySignature } from './ed25519.ts'
import { SteleError } from './errors.ts'
import { sha256 } from './hash.ts'

export const TX_VERSION = 1
/** Prefix of every transaction signing message, so a transaction signature can never pass as a block's or vice versa. */
export const TX_DOMAIN = utf8('stele:tx:v1')

export const TX_TYPES = {
  RECORD_BATCH: 1,
  GATEWAY_REGISTER: 2,
  DEVICE_REGISTER: 3,
  TRANSFER: 4,
  FAUCET_GRANT: 5,
  NODE_REGISTER: 6,
  // Reserved for the storage issue: numbers fixed now so later issues only fill in the payloads.
  DRIVE_CREATE: 7,
  DRIVE_PUT: 8,
  DRIVE_REMOVE: 9,
  DRIVE_CLOSE: 10,
  STORAGE_PROOF: 11,
  // Reserved for the executor issue.
  CONTRACT_DEPLOY: 12,
  CONTRACT_CALL: 13,
  CONTRACT_RESULT: 14,
  /** Two blocks of one producer at one height (issue 16): node/consensus/evidence-tx.ts. */
  EQUIVOCATION_EVIDENCE: 15,
} as const
export type TxType = (typeof TX_TYPES)[keyof typeof TX_TYPES]
export const TX_TYPE_NAMES: { [k: number]: string } = Object.fromEntries(
  Object.entries(TX_TYPES).map(([name, n]) => [n, name.toLowerCase().replace('_', '-')]),
)

export const MAX_TX_PAYLOAD = 64 * 1024
/** A storage proof carries a whole 256 KiB raw leaf, its DAG path and the drive's directory (docs/protocol.md §10). */
export const MAX_STORAGE_PROOF_PAYLOAD = 512 * 1024
export const maxTxPayload = (type: number): number =>
  type === TX_TYPES.STORAGE_PROOF ? MAX_STORAGE_PROOF_PAYLOAD : MAX_TX_PAYLOAD

export interface TxBody {
  type: number
  chainId: string
  signer: Uint8Array
  /** Per signer, strictly increasing; for a record batch it is the batch sequence. */
  nonce: number
  payload: Uint8Array
}

export interface SignedTx extends TxBody {
  signature: Uint8Array
  /** body || signature: what is stored, gossiped and hashed. */
  bytes: Uint8Array
  /** The body alone: what the signature covers (after TX_DOMAIN). */
  body: Uint8Array
  hash: Uint8Array
}

export function encodeTxBody(tx: TxBody): Uint8Array {
  if (tx.signer.length !== 32)
    throw new SteleError('STELE_BAD_ENCODING', 'transaction: signer must be 32 bytes')
  if (tx.payload.length > maxTxPayload(tx.type))
    throw new SteleError('STELE_BAD_ENCODING', 'transaction: payload too large')
  return new ByteWriter(64 + tx.payload.length)
    .u8(TX_VERSION)
    .u8(tx.type)
    .str8(tx.chainId, 'chainId', 64)
    .bytes(tx.signer)
    .u64(tx.nonce)
    .var32(tx.payload)
    .finish()
}

export function txSigningMessage(body: Uint8Array): Uint8Array {
  return Buffer.concat([TX_DOMAIN, body])
}

export function signTx(tx: TxBody, secretKey: Uint8Array): SignedTx {
  const body = encodeTxBody(tx)
  const signature = signMessage(txSigningMessage(body), secretKey)
  const bytes = Buffer.concat([body, signature])
  return { ...tx, body, signature, bytes: new Uint8Array(bytes), hash: sha256(bytes) }
}

/** Decodes body and signature; does not verify (callers decide when the cost is due). */
export function decodeTx(bytes: Uint8Array): SignedTx {
  const rd = new ByteReader(bytes, 'transaction')
  const version = rd.u8('version')
  if (version !== TX_VERSION)
    throw new SteleError('STELE_BAD_ENCODING', `transaction: unsupported version ${version}`)
  const type = rd.u8('type')
  const chainId = rd.str8('chainId', 64)
  const signer = new Uint8Array(rd.bytes(32, 'signer'))
  const nonce = rd.u64('nonce')
  const payload = new Uint8Array(rd.var32('payload', maxTxPayload(type)))
  const bodyLen = rd.offset
  const signature = new Uint8Array(rd.bytes(64, 'signature'))
  rd.end()
  return {
    type,
    chainId,
    signer,
    nonce,
    payload,
    signature,
    body: bytes.subarray(0, bodyLen),
    bytes,
    hash: sha256(bytes),
  }
}

export function verifyTxSignature(tx: SignedTx): boolean {
  return verifySignature(tx.signature, txSigningMessage(tx.body), tx.signer)
}
