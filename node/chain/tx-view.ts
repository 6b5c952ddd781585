import { CID } from 'multiformats/cid'
import { rolesToNames } from '../../core/account.ts'
import { decodeBatchHeader } from '../../core/batch.ts'
import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import {
  decodeContractCall,
  decodeContractDeploy,
  decodeContractResult,
  ZERO_CALL,
} from '../../core/contract-payloads.ts'
import {
  decodeDriveClose,
  decodeDriveCreate,
  decodeDrivePut,
  decodeDriveRemove,
  decodeStorageProofTx,
} from '../../core/drive-payloads.ts'
import { sha256 } from '../../core/hash.ts'
import { decodeFaucetGrant, decodeNodeRegistration, decodeTransfer } from '../../core/ledger-payloads.ts'
import { decodeGatewayRegistration } from '../../core/payloads.ts'
import { decodeTx, type SignedTx, TX_TYPE_NAMES, TX_TYPES } from '../../core/transaction.ts'
import { decodeEvidencePayload } from '../consensus/evidence-tx.ts'

/** JSON for people: amounts as decimal strings, bytes as hex. */
type Json = string | number | boolean | Json[] | { [k: string]: Json }
const json = (v: unknown): Json => {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return toHex(v)
  if (Array.isArray(v)) return v.map(json)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, json(x)]))
  return v as Json
}
const text = (s: string): Json => {
  try {
    return json(JSON.parse(s))
  } catch {
    return s
  }
}

/** Each known type's payload decoded by core's own decoder; unknown types stay hex. */
const DECODERS: { [type: number]: (tx: SignedTx) => Json } = {
  [TX_TYPES.RECORD_BATCH]: (tx) => {
    const { gateway, seq, prevHash, firstRecordSeq, count, minTime, maxTime, recordsRoot } =
      decodeBatchHeader(tx.payload)
    return json({ gateway, seq, prevHash, firstRecordSeq, count, minTime, maxTime, recordsRoot })
  },
  [TX_TYPES.GATEWAY_REGISTER]: (tx) => json(decodeGatewayRegistration(tx.payload)),
  [TX_TYPES.TRANSFER]: (tx) => json(decodeTransfer(tx.payload)),
  [TX_TYPES.FAUCET_GRANT]: (tx) => json(decodeFaucetGrant(tx.payload)),
  [TX_TYPES.NODE_REGISTER]: (tx) => {
    const n = decodeNodeRegistration(tx.payload)
    return json({ fee: n.fee, node: n.node, roles: rolesToNames(n.roles), endpoints: n.endpoints })
  },
  // A drive's id is the hash of its drive-create transaction; its escrow is price × duration × replicas.
  [TX_TYPES.DRIVE_CREATE]: (tx) => {
    const d = decodeDriveCreate(tx.payload)
    return json({ drive: tx.hash, ...d, escrow: d.price * BigInt(d.duration) * BigInt(d.replicas) })
  },
  [TX_TYPES.DRIVE_PUT]: (tx) => {
    const d = decodeDrivePut(tx.payload)
    return json({ ...d, cid: CID.decode(d.cid).toString() })
  },
  [TX_TYPES.DRIVE_REMOVE]: (tx) => json(decodeDriveRemove(tx.payload)),
  [TX_TYPES.DRIVE_CLOSE]: (tx) => json(decodeDriveClose(tx.payload)),
  // The proof's bytes are long and for machines: their sizes are shown, the signed bytes carry them.
  [TX_TYPES.STORAGE_PROOF]: (tx) => {
    const d = decodeStorageProofTx(tx.payload)
    return json({
      fee: d.fee,
      drive: d.drive,
      height: d.height,
      leafBytes: d.leaf.length,
      pathNodes: d.nodes.length,
      directoryBytes: d.directory.length,
    })
  },
  // A contract's id is the hash of its contract-deploy transaction.
  [TX_TYPES.CONTRACT_DEPLOY]: (tx) => json({ contract: tx.hash, ...decodeContractDeploy(tx.payload) }),
  [TX_TYPES.CONTRACT_CALL]: (tx) => {
    const d = decodeContractCall(tx.payload)
    return json({ ...d, args: text(d.args) })
  },
  [TX_TYPES.CONTRACT_RESULT]: (tx) => {
    const d = decodeContractResult(tx.payload)
    const blockRun = toHex(d.call) === toHex(ZERO_CALL)
    const { call: _, events, state, ...rest } = d
    return json({ ...rest, ...(blockRun ? {} : { call: d.call }), events: text(events), state: text(state) })
  },
  [TX_TYPES.EQUIVOCATION_EVIDENCE]: (tx) => {
    const { fee, evidence } = decodeEvidencePayload(tx.payload)
    const a = decodeBlockHeader(evidence.a.header)
    return json({
      fee,
      producer: a.producer,
      height: a.height,
      blockA: sha256(evidence.a.header),
      blockB: sha256(evidence.b.header),
    })
  },
}

/** A transaction for people: its type by name and its payload decoded where the type is known. */
export function txView(bytes: Uint8Array, height: number | null, index: number | null) {
  const tx = decodeTx(bytes)
  const decode = DECODERS[tx.type]
  return {
    hash: toHex(tx.hash),
    type: TX_TYPE_NAMES[tx.type] ?? `type-${tx.type}`,
    chainId: tx.chainId,
    signer: toHex(tx.signer),
    nonce: tx.nonce,
    signature: toHex(tx.signature),
    status: height === null ? 'pending' : 'confirmed',
    blockHeight: height,
    index,
    payload: decode ? decode(tx) : toHex(tx.payload),
    bytes: Buffer.from(bytes).toString('base64'),
  }
}
