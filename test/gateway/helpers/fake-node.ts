/**
 * An in-memory stand-in for the node side of NodeApi, built on core: it really verifies signatures, the
 * gateway's batch chain (seq, prevHash, first record seq), the Merkle root and non-decreasing record times,
 * answers resends as duplicates and gaps with details.expectedSeq, and can be switched off or made to lose
 * its answers. It is a double of the other side, never of the gateway under test.
 */
import { batchHeaderHash, decodeBatchHeader } from '../../../core/batch.ts'
import { equalBytes, toHex } from '../../../core/bytes.ts'
import { SteleError } from '../../../core/errors.ts'
import { genesisToJson } from '../../../core/genesis.ts'
import { leafHash, merkleRoot } from '../../../core/merkle.ts'
import type { GatewayTip, NodeApi, NodeInfo, SubmitResult, SubmittedBatch } from '../../../core/node-api.ts'
import { decodeRecord, decodeRecordList, type StampedRecord } from '../../../core/record.ts'
import { decodeTx, TX_TYPES, verifyTxSignature } from '../../../core/transaction.ts'

interface Chain {
  nextSeq: number
  prevHash: string
  nextRecordSeq: number
  lastTime: number
  txHashes: Map<number, string>
}

export class FakeNode implements NodeApi {
  readonly chainId: string
  readonly chains = new Map<string, Chain>()
  readonly registered = new Set<string>()
  readonly records: StampedRecord[] = []
  /** When true every call fails as an unreachable node would. */
  down = false
  /** When set, the next submit is applied but its answer is lost (the caller sees a network error). */
  loseNextAnswer = false
  calls = 0
  submitted = 0
  duplicates = 0
  /** When false, signatures are still checked but record decoding is skipped (the bench's hot path). */
  decodeRecords = true
  recordCount = 0

  constructor(opts: { chainId?: string; register?: Uint8Array[] } = {}) {
    this.chainId = opts.chainId ?? 'test-chain'
    for (const k of opts.register ?? []) this.registered.add(toHex(k))
  }

  register(key: Uint8Array): void {
    this.registered.add(toHex(key))
  }

  async info(): Promise<NodeInfo> {
    this.gate()
    return {
      chainId: this.chainId,
      height: 0,
      version: 'fake',
      genesis: genesisToJson({
        chainId: this.chainId,
        time: 0,
        producers: [new Uint8Array(32)],
        authority: new Uint8Array(32),
      }),
    }
  }

  async gatewayTip(gateway: Uint8Array): Promise<GatewayTip> {
    this.gate()
    const c = this.chain(toHex(gateway))
    return {
      registered: this.registered.has(toHex(gateway)),
      nextSeq: c.nextSeq,
      prevHash: c.prevHash,
      nextRecordSeq: c.nextRecordSeq,
    }
  }

  async submitBatches(batches: readonly SubmittedBatch[]): Promise<SubmitResult[]> {
    this.gate()
    this.calls++
    const results: SubmitResult[] = []
    for (const b of batches) {
      try {
        results.push(this.accept(b))
      } catch (e) {
        const err = e as SteleError
        throw new SteleError(err.code, err.message, { details: { ...err.details, accepted: results.length } })
      }
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false
      throw new SteleError('STELE_UNAVAILABLE', 'fake node: answer lost on the way back')
    }
    return results
  }

  private accept(b: SubmittedBatch): SubmitResult {
    const tx = decodeTx(b.tx)
    if (tx.type !== TX_TYPES.RECORD_BATCH) throw new SteleError('STELE_BAD_REQUEST', 'not a batch')
    if (tx.chainId !== this.chainId) throw new SteleError('STELE_CHAIN_MISMATCH', 'other chain')
    const gw = toHex(tx.signer)
    if (!this.registered.has(gw)) throw new SteleError('STELE_GATEWAY_UNKNOWN', `gateway ${gw} unknown`)
    if (!verifyTxSignature(tx)) throw new SteleError('STELE_BAD_SIGNATURE', 'bad signature')
    const h = decodeBatchHeader(tx.payload)
    const c = this.chain(gw)
    const hash = toHex(tx.hash)
    if (h.seq < c.nextSeq) {
      if (c.txHashes.get(h.seq) === hash) {
        this.duplicates++
        return { seq: h.seq, status: 'duplicate', txHash: hash }
      }
      throw new SteleError('STELE_BATCH_CONFLICT', `batch ${h.seq} conflicts`, {
        details: { expectedSeq: c.nextSeq },
      })
    }
    if (h.seq > c.nextSeq)
      throw new SteleError('STELE_BATCH_GAP', `batch ${h.seq}, expected ${c.nextSeq}`, {
        details: { expectedSeq: c.nextSeq },
      })
    if (toHex(h.prevHash) !== c.prevHash)
      throw new SteleError('STELE_BATCH_CONFLICT', 'prevHash does not link')
    if (h.firstRecordSeq !== c.nextRecordSeq)
      throw new SteleError(
        'STELE_BATCH_INVALID',
        `first record ${h.firstRecordSeq}, expected ${c.nextRecordSeq}`,
      )
    const list = decodeRecordList(b.records)
    if (list.length !== h.count) throw new SteleError('STELE_BATCH_INVALID', 'count')
    if (!equalBytes(merkleRoot(list.map(leafHash)), h.recordsRoot))
      throw new SteleError('STELE_BATCH_INVALID', 'root')
    if (this.decodeRecords) {
      let prev = c.lastTime
      list.forEach((bytes, i) => {
        const r = decodeRecord(bytes)
        if (r.seq !== h.firstRecordSeq + i) throw new SteleError('STELE_BATCH_INVALID', 'record seq')
        if (r.time < prev || r.time < h.minTime || r.time > h.maxTime)
          throw new SteleError('STELE_BATCH_INVALID', `record ${r.seq} time goes backwards`)
        prev = r.time
        this.records.push(r)
      })
    }
    c.nextSeq = h.seq + 1
    c.prevHash = toHex(batchHeaderHash(tx.payload))
    c.nextRecordSeq = h.firstRecordSeq + h.count
    c.lastTime = h.maxTime
    c.txHashes.set(h.seq, hash)
    this.submitted++
    this.recordCount += h.count
    return { seq: h.seq, status: 'accepted', txHash: hash }
  }

  private chain(gw: string): Chain {
    let c = this.chains.get(gw)
    if (!c) {
      c = { nextSeq: 1, prevHash: '0'.repeat(64), nextRecordSeq: 1, lastTime: 0, txHashes: new Map() }
      this.chains.set(gw, c)
    }
    return c
  }

  private gate(): void {
    if (this.down) throw new SteleError('STELE_UNAVAILABLE', 'fake node is down')
  }
}
