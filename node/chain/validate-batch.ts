import { type BatchHeader, batchHeaderHash, decodeBatchHeader } from '../../core/batch.ts'
import { equalBytes, toHex } from '../../core/bytes.ts'
import { SteleError } from '../../core/errors.ts'
import { leafBytesAndRoot } from '../../core/merkle.ts'
import { decodeRecord, decodeRecordList, type StampedRecord } from '../../core/record.ts'
import { type SignedTx, TX_TYPES, verifyTxSignature } from '../../core/transaction.ts'
import { checkFitsBlock } from './block-size.ts'
import { type DeviceGroups, groupByDevice } from './device-groups.ts'
import type { GatewayState } from './state.ts'

export interface ValidBatch {
  header: BatchHeader
  headerHash: string
  records: StampedRecord[]
  /** Indexes of `records` by device: the per-device steps of accepting the batch share them. */
  byDevice: DeviceGroups
  /** The leaf hashes (the readings' ids) back to back, 32 bytes each: a batch's ids in one hex conversion. */
  leafBytes: Buffer
}

export type BatchVerdict = { kind: 'new'; batch: ValidBatch } | { kind: 'duplicate'; header: BatchHeader }

export interface BatchContext {
  chainId: string
  /** The signer's gateway state (staged or committed); undefined when it is not registered. */
  gateway: GatewayState | undefined
  /** The tx hash the gateway used for an earlier sequence, so a resend is recognised as a duplicate. */
  knownTxHash: (seq: number) => Promise<string | undefined>
  /**
   * Called with the signed header of a batch that verified and continues the gateway's chain, before its records
   * are decoded: the place to refuse (throw) over the gateway's write rate. Never reached by a forged, replayed or
   * out-of-order batch, so nobody else can spend a gateway's allowance.
   */
  admit?: (header: BatchHeader) => void
  /** The producer's block byte cap (default MAX_BLOCK_BYTES; lower on a network): a batch beyond it is refused. */
  maxBlockBytes?: number | undefined
}

/**
 * DESIGN §3.7: signature, registration, continuity of the gateway's batch chain, and records that match the root.
 * The one batch validation: the node's ingest and the test double of a node both run it.
 */
export async function validateBatch(
  tx: SignedTx,
  recordList: Uint8Array,
  ctx: BatchContext,
): Promise<BatchVerdict> {
  const { chainId, gateway: gw, knownTxHash } = ctx
  if (tx.type !== TX_TYPES.RECORD_BATCH)
    throw new SteleError('STELE_BAD_REQUEST', `transaction type ${tx.type} is not a record batch`)
  if (tx.chainId !== chainId)
    throw new SteleError(
      'STELE_CHAIN_MISMATCH',
      `batch is for chain ${tx.chainId}, this node runs ${chainId}`,
    )
  // Cheap and before the signature: accepted, a batch no block can hold would be dropped by the producer.
  checkFitsBlock(tx.bytes, recordList.length, ctx.maxBlockBytes)
  const signerHex = toHex(tx.signer)
  if (!gw)
    throw new SteleError(
      'STELE_GATEWAY_UNKNOWN',
      `gateway ${signerHex} is not registered; register it with the authority key (stele gateway register --key ${signerHex})`,
      { details: { gateway: signerHex } },
    )
  const header = decodeBatchHeader(tx.payload)
  if (!equalBytes(header.gateway, tx.signer) || header.seq !== tx.nonce)
    throw new SteleError(
      'STELE_BATCH_INVALID',
      'batch header gateway or seq differs from the transaction signer or nonce',
    )
  if (!verifyTxSignature(tx))
    throw new SteleError(
      'STELE_BAD_SIGNATURE',
      `batch ${header.seq} signature does not verify for gateway ${signerHex}`,
    )

  if (header.seq < gw.nextSeq) {
    const known = await knownTxHash(header.seq)
    if (known === toHex(tx.hash)) return { kind: 'duplicate', header }
    throw new SteleError(
      'STELE_BATCH_CONFLICT',
      `batch ${header.seq} was already accepted with other content`,
      {
        details: { expectedSeq: gw.nextSeq },
      },
    )
  }
  if (header.seq > gw.nextSeq)
    throw new SteleError(
      'STELE_BATCH_GAP',
      `batch ${header.seq} skips ahead; send batch ${gw.nextSeq} first`,
      {
        details: { expectedSeq: gw.nextSeq },
      },
    )
  if (toHex(header.prevHash) !== gw.prevHash)
    throw new SteleError(
      'STELE_BATCH_CONFLICT',
      `batch ${header.seq} does not link to the previous batch header`,
      {
        details: { expectedSeq: gw.nextSeq },
      },
    )
  if (header.firstRecordSeq !== gw.nextRecordSeq)
    throw new SteleError(
      'STELE_BATCH_INVALID',
      `batch ${header.seq} starts at record ${header.firstRecordSeq}, expected ${gw.nextRecordSeq}`,
      {
        details: { expectedSeq: gw.nextSeq },
      },
    )

  ctx.admit?.(header)
  const recordBytes = decodeRecordList(recordList)
  if (recordBytes.length !== header.count)
    throw new SteleError(
      'STELE_BATCH_INVALID',
      `batch ${header.seq} header counts ${header.count} records, body has ${recordBytes.length}`,
    )
  const allowed = gw.devices.length > 0 ? new Set(gw.devices) : undefined
  const records: StampedRecord[] = []
  let prevTime = gw.lastTime
  // Decoding interns a batch's gateway key (one instance for all its records): compared once, not per record.
  let headerGateway: Uint8Array | undefined
  for (let i = 0; i < recordBytes.length; i++) {
    const r = decodeRecord(recordBytes[i]!)
    if (r.seq !== header.firstRecordSeq + i)
      throw new SteleError(
        'STELE_BATCH_INVALID',
        `record ${i} of batch ${header.seq} has seq ${r.seq}, expected ${header.firstRecordSeq + i}`,
      )
    if (r.gateway !== headerGateway) {
      if (!equalBytes(r.gateway, header.gateway))
        throw new SteleError('STELE_BATCH_INVALID', `record ${r.seq} names another gateway than its batch`)
      headerGateway = r.gateway
    }
    if (r.time < header.minTime || r.time > header.maxTime)
      throw new SteleError('STELE_BATCH_INVALID', `record ${r.seq} time lies outside the batch time range`)
    if (r.time < prevTime)
      throw new SteleError(
        'STELE_BATCH_INVALID',
        `record ${r.seq} time goes backwards (${r.time} < ${prevTime})`,
      )
    prevTime = r.time
    if (allowed && !allowed.has(r.device))
      throw new SteleError(
        'STELE_NOT_AUTHORIZED',
        `device ${r.device} is not registered for gateway ${signerHex}`,
      )
    records.push(r)
  }
  const { bytes: leafBytes, root } = leafBytesAndRoot(recordBytes)
  if (!equalBytes(root, header.recordsRoot))
    throw new SteleError(
      'STELE_BATCH_INVALID',
      `batch ${header.seq} records do not match the signed Merkle root`,
    )
  return {
    kind: 'new',
    batch: {
      header,
      headerHash: toHex(batchHeaderHash(tx.payload)),
      records,
      byDevice: groupByDevice(records),
      leafBytes,
    },
  }
}
