import type { GenesisJson } from './genesis.ts'

/**
 * What a gateway needs from a node. The gateway never imports node/: it holds one of two implementations of this
 * interface, in-process (the node object itself) or HTTP (gateway/http-node-client.ts); test/compliance/node-api.ts
 * holds both (and the tests' fake) to this contract.
 *
 * Every call takes an optional `signal`. A call whose signal has aborted rejects with the signal's reason and does
 * nothing; one aborted while under way rejects at once with that reason, though a submit may still be accepted by
 * the node (it was already sent or validated): resending is safe, it is answered as duplicate.
 */
export interface NodeApi {
  info(opts?: { signal?: AbortSignal }): Promise<NodeInfo>
  gatewayTip(gateway: Uint8Array, opts?: { signal?: AbortSignal }): Promise<GatewayTip>
  /**
   * Submits batches in order. Resolves with one result per batch when all were accepted (or were already held);
   * rejects with a SteleError at the first refused batch: STELE_BATCH_GAP carries details.expectedSeq, and the
   * batches before the refused one count as accepted (details.accepted says how many).
   */
  submitBatches(batches: readonly SubmittedBatch[], opts?: { signal?: AbortSignal }): Promise<SubmitResult[]>
}

export interface SubmittedBatch {
  /** The signed record-batch transaction bytes. */
  tx: Uint8Array
  /** The encoded record list whose Merkle root the header commits to. */
  records: Uint8Array
}

export interface SubmitResult {
  seq: number
  status: 'accepted' | 'duplicate'
  txHash: string
}

export interface NodeInfo {
  chainId: string
  genesis: GenesisJson
  height: number
  version: string
}

export interface GatewayTip {
  registered: boolean
  /** The next batch sequence the node expects from this gateway (1 when it has none). */
  nextSeq: number
  /** Hex hash of the last accepted batch header (zeros when none). */
  prevHash: string
  /** The record sequence the next batch must start at. */
  nextRecordSeq: number
}
