import { rolesToNames } from '../../core/account.ts'
import { decodeBatchHeader } from '../../core/batch.ts'
import { toHex } from '../../core/bytes.ts'
import { decodeFaucetGrant, decodeNodeRegistration, decodeTransfer } from '../../core/ledger-payloads.ts'
import { decodeGatewayRegistration } from '../../core/payloads.ts'
import { decodeTx, TX_TYPE_NAMES, TX_TYPES } from '../../core/transaction.ts'

/** A transaction for people: its type by name and its payload decoded where the type is known. */
export function txView(bytes: Uint8Array, height: number | null, index: number | null) {
  const tx = decodeTx(bytes)
  let payload: unknown = toHex(tx.payload)
  if (tx.type === TX_TYPES.RECORD_BATCH) {
    const h = decodeBatchHeader(tx.payload)
    payload = {
      gateway: toHex(h.gateway),
      seq: h.seq,
      prevHash: toHex(h.prevHash),
      firstRecordSeq: h.firstRecordSeq,
      count: h.count,
      minTime: h.minTime,
      maxTime: h.maxTime,
      recordsRoot: toHex(h.recordsRoot),
    }
  } else if (tx.type === TX_TYPES.GATEWAY_REGISTER) {
    const r = decodeGatewayRegistration(tx.payload)
    payload = { gateway: toHex(r.gateway), name: r.name, devices: r.devices }
  } else if (tx.type === TX_TYPES.TRANSFER) {
    const t = decodeTransfer(tx.payload)
    payload = { fee: t.fee.toString(), to: toHex(t.to), amount: t.amount.toString(), memo: t.memo }
  } else if (tx.type === TX_TYPES.FAUCET_GRANT) {
    const g = decodeFaucetGrant(tx.payload)
    payload = { fee: g.fee.toString(), to: toHex(g.to), amount: g.amount.toString() }
  } else if (tx.type === TX_TYPES.NODE_REGISTER) {
    const n = decodeNodeRegistration(tx.payload)
    payload = {
      fee: n.fee.toString(),
      node: toHex(n.node),
      roles: rolesToNames(n.roles),
      endpoints: n.endpoints,
    }
  }
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
    payload,
    bytes: Buffer.from(bytes).toString('base64'),
  }
}
