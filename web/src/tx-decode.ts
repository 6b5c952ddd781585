import { CID } from 'multiformats/cid'
import { readAmount } from '../../core/amount.ts'
import { decodeBlockHeader } from '../../core/block.ts'
import { ByteReader, toHex } from '../../core/bytes.ts'
import {
  decodeContractCall,
  decodeContractDeploy,
  decodeContractResult,
} from '../../core/contract-payloads.ts'
import {
  decodeDriveClose,
  decodeDriveCreate,
  decodeDrivePut,
  decodeDriveRemove,
  decodeStorageProofTx,
} from '../../core/drive-payloads.ts'
import { sha256 } from '../../core/hash.ts'
import { decodeTx, TX_TYPES } from '../../core/transaction.ts'

/** A decoded field: text, or a reference the page links (account, block, transaction, contract, drive, file). */
export type RefKind = 'account' | 'tx' | 'contract' | 'drive' | 'cid' | 'block' | 'hex'
export type Field = { text: string } | { kind: RefKind; value: string } | { json: string } | { coins: bigint }

const text = (v: string | number | bigint): Field => ({ text: String(v) })
const ref = (kind: RefKind, v: Uint8Array | string | number): Field => ({
  kind,
  value: typeof v === 'string' || typeof v === 'number' ? String(v) : toHex(v),
})
const json = (s: string): Field => {
  try {
    return { json: JSON.stringify(JSON.parse(s), null, 2) }
  } catch {
    return { text: s }
  }
}
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))

/**
 * The payloads the node sends as hex (drive, storage-proof, contract and evidence types: node/api/tx-view.ts decodes
 * only the ledger's), decoded here from the signed bytes by core's own decoders. Null for a type decoded elsewhere.
 */
export function decodePayload(txBase64: string): [string, Field][] | null {
  const tx = decodeTx(b64(txBase64))
  const p = tx.payload
  switch (tx.type) {
    case TX_TYPES.DRIVE_CREATE: {
      const d = decodeDriveCreate(p)
      return [
        ['Creates drive', ref('drive', tx.hash)],
        ['Capacity', text(`${d.capacity} bytes`)],
        ['Replicas', text(d.replicas)],
        ['Duration', text(`${d.duration} blocks`)],
        ['Challenge every', text(`${d.period} blocks`)],
        ['Price (per block per replica)', { coins: d.price }],
        ['Escrow', { coins: d.price * BigInt(d.duration) * BigInt(d.replicas) }],
        ['Fee', { coins: d.fee }],
      ]
    }
    case TX_TYPES.DRIVE_PUT: {
      const d = decodeDrivePut(p)
      return [
        ['Drive', ref('drive', d.drive)],
        ['Name', text(d.name)],
        ['File', ref('cid', CID.decode(d.cid).toString())],
        ['Size', text(`${d.size} bytes (DAG ${d.tsize})`)],
        ['Fee', { coins: d.fee }],
      ]
    }
    case TX_TYPES.DRIVE_REMOVE: {
      const d = decodeDriveRemove(p)
      return [
        ['Drive', ref('drive', d.drive)],
        ['Name', text(d.name)],
        ['Fee', { coins: d.fee }],
      ]
    }
    case TX_TYPES.DRIVE_CLOSE: {
      const d = decodeDriveClose(p)
      return [
        ['Closes drive', ref('drive', d.drive)],
        ['Fee', { coins: d.fee }],
      ]
    }
    case TX_TYPES.STORAGE_PROOF: {
      const d = decodeStorageProofTx(p)
      return [
        ['Drive', ref('drive', d.drive)],
        ['Answers the challenge of block', ref('block', d.height)],
        ['Leaf size', text(`${d.leaf.length} bytes`)],
        ['Path length', text(`${d.nodes.length} node(s) below the directory`)],
        ['Directory block', text(`${d.directory.length} bytes`)],
        ['Fee', { coins: d.fee }],
      ]
    }
    case TX_TYPES.CONTRACT_DEPLOY: {
      const d = decodeContractDeploy(p)
      const any = (xs: string[]) => (xs.length ? xs.join(', ') : 'any')
      return [
        ['Deploys contract', ref('contract', tx.hash)],
        ['Name', text(d.name)],
        ['Code', ref('cid', d.codeCid)],
        ['Gas limit', text(d.gasLimit)],
        ['Devices', text(any(d.filter.devices))],
        ['Sensors', text(any(d.filter.sensors))],
        ['Gateways', text(any(d.filter.gateways.map(toHex)))],
        ['Fee', { coins: d.fee }],
      ]
    }
    case TX_TYPES.CONTRACT_CALL: {
      const d = decodeContractCall(p)
      return [
        ['Contract', ref('contract', d.contract)],
        ['Function', text(d.fn)],
        ['Arguments', json(d.args)],
        ['Gas', text(d.gas)],
        ['Fee', { coins: d.fee }],
      ]
    }
    case TX_TYPES.CONTRACT_RESULT: {
      const d = decodeContractResult(p)
      const block = d.call.some((b) => b !== 0)
      return [
        ['Contract', ref('contract', d.contract)],
        ['Run of block', ref('block', d.height)],
        ['Answers', block ? ref('tx', d.call) : text('the block’s readings')],
        ['Status', text(d.message ? `${d.status}: ${d.message}` : d.status)],
        ['Gas used', text(d.gasUsed)],
        ['Events', json(d.events)],
        ['State after', json(d.state)],
        ['State root before', ref('hex', d.stateRootBefore)],
        ['State root after', ref('hex', d.stateRootAfter)],
        ['Inputs hash', ref('hex', d.inputsHash)],
        ['Fee', { coins: d.fee }],
      ]
    }
    case TX_TYPES.EQUIVOCATION_EVIDENCE: {
      // docs/protocol.md §9.8: fee | version | two signed headers of one producer at one height.
      const rd = new ByteReader(p, 'evidence')
      const fee = readAmount(rd, 'fee')
      rd.u8('version')
      const headers = [0, 1].map((i) => {
        const bytes = new Uint8Array(rd.var32(`header ${i}`, 4096))
        rd.bytes(64, `signature ${i}`)
        return { header: decodeBlockHeader(bytes), hash: sha256(bytes) }
      })
      const [a, b] = headers as [(typeof headers)[0], (typeof headers)[0]]
      return [
        ['Producer', ref('account', a.header.producer)],
        ['Height', ref('block', a.header.height)],
        ['Block A', ref('hex', a.hash)],
        ['Block B', ref('hex', b.hash)],
        ['Fee', { coins: fee }],
      ]
    }
    default:
      return null
  }
}
