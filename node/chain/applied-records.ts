import { decodeBlockHeader } from '../../core/block.ts'
import { toHex } from '../../core/bytes.ts'
import { decodeNodeRegistration } from '../../core/ledger-payloads.ts'
import { TX_TYPES } from '../../core/transaction.ts'
import { decodeEvidencePayload } from '../consensus/evidence-tx.ts'
import type { BlockProducer } from './producer.ts'

/** Equivocation evidence as GET /v1/evidence lists it. */
export interface EvidenceEntry {
  producer: string
  height: number
  tx: string
  block: number
}

/**
 * What blocks applied since start recorded, for GET /v1/nodes and GET /v1/evidence: the keys node-register
 * transactions named, and equivocation evidence.
 */
export class AppliedRecords {
  readonly knownNodes = new Set<string>()
  readonly evidence: EvidenceEntry[] = []

  constructor(producer: BlockProducer) {
    producer.on('block', (b) => {
      for (const tx of b.txs)
        if (tx.type === TX_TYPES.NODE_REGISTER)
          this.knownNodes.add(toHex(decodeNodeRegistration(tx.payload).node))
        else if (tx.type === TX_TYPES.EQUIVOCATION_EVIDENCE) {
          const h = decodeBlockHeader(decodeEvidencePayload(tx.payload).evidence.a.header)
          this.evidence.push({
            producer: toHex(h.producer),
            height: h.height,
            tx: toHex(tx.hash),
            block: b.header.height,
          })
        }
    })
  }
}
