import type { BlockView } from '../../core/api-views.ts'
import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { sha256 } from '../../core/hash.ts'
import type { StoredBlock } from '../db/codec.ts'

export type { BlockView }

export function blockView(b: StoredBlock): BlockView {
  const h = decodeBlockHeader(b.header)
  const view: BlockView = {
    height: h.height,
    hash: toHex(sha256(b.header)),
    prevHash: toHex(h.prevHash),
    time: h.time,
    timeIso: new Date(h.time).toISOString(),
    txRoot: toHex(h.txRoot),
    txCount: h.txCount,
    producer: toHex(h.producer),
    signature: toHex(b.signature),
    transactions: b.txHashes.map(toHex),
  }
  if (h.stateRoot) view.stateRoot = toHex(h.stateRoot)
  return view
}
