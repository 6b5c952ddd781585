import { type BatchHeader, encodeBatchHeader } from './batch.ts'
import { recordsRoot } from './merkle.ts'
import { encodeRecordList } from './record.ts'
import { type SignedTx, signTx, TX_TYPES } from './transaction.ts'

export interface SealInput {
  chainId: string
  gateway: { publicKey: Uint8Array; secretKey: Uint8Array }
  seq: number
  prevHash: Uint8Array
  /** Encoded records, consecutive record sequences starting at firstRecordSeq. */
  records: readonly Uint8Array[]
  firstRecordSeq: number
  minTime: number
  maxTime: number
}

export interface SealedBatch {
  header: BatchHeader
  headerBytes: Uint8Array
  tx: SignedTx
  /** The record list object (see encodeRecordList) the node stores by the records root. */
  records: Uint8Array
}

/** Builds and signs a record-batch transaction: one Ed25519 signature covers every record through the Merkle root. */
export function sealBatch(input: SealInput): SealedBatch {
  const header: BatchHeader = {
    gateway: input.gateway.publicKey,
    seq: input.seq,
    prevHash: input.prevHash,
    firstRecordSeq: input.firstRecordSeq,
    count: input.records.length,
    minTime: input.minTime,
    maxTime: input.maxTime,
    recordsRoot: recordsRoot(input.records),
  }
  const headerBytes = encodeBatchHeader(header)
  const tx = signTx(
    {
      type: TX_TYPES.RECORD_BATCH,
      chainId: input.chainId,
      signer: input.gateway.publicKey,
      nonce: input.seq,
      payload: headerBytes,
    },
    input.gateway.secretKey,
  )
  return { header, headerBytes, tx, records: encodeRecordList(input.records) }
}
