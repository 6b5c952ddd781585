import { batchHeaderHash, ZERO_HASH } from '../../core/batch.ts'
import { generateKeyPair, type KeyPair } from '../../core/ed25519.ts'
import type { SubmittedBatch } from '../../core/node-api.ts'
import { encodeRecord, type StampedRecord } from '../../core/record.ts'
import { type SealedBatch, sealBatch } from '../../core/seal.ts'

/** A gateway stand-in for node tests: seals consecutive batches with real keys and real encodings. */
export class BatchMaker {
  readonly key: KeyPair
  seq = 0
  recordSeq = 0
  prevHash: Uint8Array = ZERO_HASH
  time: number

  constructor(
    readonly chainId: string,
    opts: { key?: KeyPair; startTime?: number } = {},
  ) {
    this.key = opts.key ?? generateKeyPair()
    this.time = opts.startTime ?? 1_700_000_000_000
  }

  records(n: number, device = 'dev-1', sensor = 'temp'): StampedRecord[] {
    const out: StampedRecord[] = []
    for (let i = 0; i < n; i++) {
      this.recordSeq++
      this.time += 10
      out.push({
        gateway: this.key.publicKey,
        seq: this.recordSeq,
        time: this.time,
        logical: 0,
        device,
        sensor,
        value: 20 + (this.recordSeq % 10) / 10,
        unit: 'C',
        deviceSeq: this.recordSeq,
        source: 'sim',
      })
    }
    return out
  }

  seal(records: StampedRecord[]): SealedBatch {
    this.seq++
    const sealed = sealBatch({
      chainId: this.chainId,
      gateway: this.key,
      seq: this.seq,
      prevHash: this.prevHash,
      records: records.map(encodeRecord),
      firstRecordSeq: records[0]!.seq,
      minTime: records[0]!.time,
      maxTime: records[records.length - 1]!.time,
    })
    this.prevHash = batchHeaderHash(sealed.headerBytes)
    return sealed
  }

  next(n: number, device?: string, sensor?: string): SubmittedBatch {
    const s = this.seal(this.records(n, device, sensor))
    return { tx: s.tx.bytes, records: s.records }
  }
}
