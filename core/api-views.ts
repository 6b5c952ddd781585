/**
 * The JSON shapes the node's API serves and the explorer reads (docs/api), in one place for both sides:
 * node/chain/block-view.ts and reading-view.ts build them, web/src/api.ts types its answers with them.
 */
import type { DriveState } from './drive-state.ts'

/** A stored block as the API and the stream show it. */
export interface BlockView {
  height: number
  hash: string
  prevHash: string
  time: number
  timeIso: string
  txRoot: string
  /** The state map's root after the block (version 2 headers); absent on a chain without a ledger. */
  stateRoot?: string
  txCount: number
  producer: string
  signature: string
  transactions: string[]
  /** GET /v1/blocks/:height: the producer's registration path when it is not a genesis producer (protocol §6.4). */
  registrations?: unknown
}

export interface ReadingView {
  id: string
  device: string
  sensor: string
  value: number
  unit: string | null
  time: number
  timeIso: string
  logical: number
  seq: number
  gateway: string
  deviceSeq: number | null
  deviceTime: number | null
  source: string
  /** final: blocks signed by more than half the producers are built on its block (consensus/finality.ts). */
  status: 'pending' | 'confirmed' | 'final'
  blockHeight: number | null
  txHash: string
  /** Position of the record in its batch: the leaf index of its proof. */
  leafIndex: number
}

/** A state type as JSON: amounts as decimal strings, bytes as hex (or a CID's text), recursively. */
export type Wire<T> = T extends bigint | Uint8Array
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T

/** GET /v1/drives/:id (node/api/drives.ts): the drive's state leaf (core/drive-state.ts) with its id. */
export type DriveView = Wire<DriveState> & { id: string }
