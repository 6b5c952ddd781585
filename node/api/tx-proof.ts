import { toHex } from '../../core/bytes.ts'
import { inclusionPath, leafHash } from '../../core/merkle.ts'
import { txView } from '../chain/tx-view.ts'
import type { StoredTx } from '../db/codec.ts'
import type { SteleNode } from '../node.ts'

/**
 * A transaction's view and, once confirmed, its proof of inclusion: its Merkle path to the transaction root of
 * the signed block header (docs/protocol.md §6, the same path a reading proof carries as txPath).
 */
export async function txWithProof(
  node: SteleNode,
  bytes: Uint8Array,
  stored: StoredTx | null,
  opts: { proof?: boolean } = {},
) {
  const base = txView(bytes, stored?.height ?? null, stored?.index ?? null)
  // Final once blocks of more than half the producers build on it (node.finalHeight: -1 with one producer).
  const final = stored !== null && stored.height <= node.finalHeight()
  const view = final ? { ...base, status: 'final' as const } : base
  if (!stored) return { ...view, proof: null }
  const block = await node.query.storedBlock(stored.height)
  if (!block) return { ...view, proof: null }
  const time = (await node.query.blockView(stored.height)).time
  if (opts.proof === false) return { ...view, time, timeIso: new Date(time).toISOString(), proof: null }
  const registrations = await node.query.registrations(block.header)
  return {
    ...view,
    time,
    timeIso: new Date(time).toISOString(),
    proof: {
      txIndex: stored.index,
      txPath: inclusionPath(block.txHashes.map(leafHash), stored.index).map(toHex),
      blockHeader: toHex(block.header),
      blockSignature: toHex(block.signature),
      ...(registrations ? { registrations } : {}),
    },
  }
}
