/**
 * The payload of a message on the transaction topic: one kind byte, then the item's canonical encoding
 * (docs/protocol.md): 1 = a signed transaction, 2 = a gateway's sealed batch. Blocks travel on their own topic as the
 * stored block bytes, with no envelope.
 */
import { SteleError } from '../../core/errors.ts'

export type TxGossipKind = 'transaction' | 'batch'

export interface TxGossip {
  kind: TxGossipKind
  bytes: Uint8Array
}

const KIND_BYTE: Record<TxGossipKind, number> = { transaction: 1, batch: 2 }

/** Bounded like POST bodies: a gossip message is forwarded by every node, so a large one costs the network. */
export const MAX_GOSSIP_BYTES = 1 << 20

export function encodeTxGossip(m: TxGossip): Uint8Array {
  if (m.bytes.length === 0 || m.bytes.length + 1 > MAX_GOSSIP_BYTES)
    throw new SteleError(
      'STELE_BAD_ENCODING',
      `tx gossip: ${m.bytes.length} bytes is empty or over the limit`,
    )
  const out = new Uint8Array(m.bytes.length + 1)
  out[0] = KIND_BYTE[m.kind]
  out.set(m.bytes, 1)
  return out
}

export function decodeTxGossip(data: Uint8Array): TxGossip {
  if (data.length < 2 || data.length > MAX_GOSSIP_BYTES)
    throw new SteleError('STELE_BAD_ENCODING', `tx gossip: ${data.length} bytes is empty or over the limit`)
  const kind = data[0] === 1 ? 'transaction' : data[0] === 2 ? 'batch' : undefined
  if (!kind) throw new SteleError('STELE_BAD_ENCODING', `tx gossip: unknown kind ${data[0]}`)
  return { kind, bytes: data.subarray(1) }
}
