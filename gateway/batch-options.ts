// The batcher's settings, what it starts from, and what it reports (gateway/batcher.ts).
import type { KeyPair } from '../core/ed25519.ts'
import type { Logger } from '../core/logger.ts'
import type { Timers } from '../core/timers.ts'
import type { DeliveryMark } from './connectors/connector.ts'
import type { RecentReadings } from './dedupe.ts'
import type { Hlc } from './hlc.ts'
import type { Outbox, SequenceState } from './outbox.ts'

export interface BatchOptions {
  /** Seal when this many records wait; default 1000. */
  maxRecords?: number
  /** Seal at most this long after the first record of a batch arrived; default 50 ms. */
  maxDelayMs?: number
  /**
   * Stamped records allowed to wait for sealing before push() waits; default 32 x maxRecords (about 10 MB): what
   * sources send during one write under load must fit, or they wait a write for room (the old 4 x held 10
   * readings/message at 400 messages per write).
   */
  maxPendingRecords?: number
  /** Recent readings remembered for duplicate detection; default 100,000. */
  dedupeCapacity?: number
  /** Batches sealed into one outbox write (one fsync) at most; default 64, 1 for a write per batch. */
  maxGroup?: number
  /**
   * Seal (hash and sign) in a worker thread, leaving this thread to MQTT and stamping; default true. Falls back to
   * this thread if the worker cannot run.
   */
  sealWorker?: boolean
  /** A write of at least this many records means load: the next readings are sealed without the delay; default 16. */
  eagerRecords?: number
}

export interface BatcherInit extends BatchOptions {
  key: KeyPair
  outbox: Outbox
  /** The state the outbox holds (or the initial one for a fresh gateway); the chain continues from it. */
  state: SequenceState
  hlc: Hlc
  dedupe?: RecentReadings
  /** Sources' marks as the outbox holds them (`Outbox.marks()`). */
  marks?: readonly DeliveryMark[]
  timers?: Timers
  logger?: Logger
}

export interface BatcherStats {
  stamped: number
  sealed: number
  duplicates: number
  pending: number
  /** True while a sealed batch waits for room in the outbox. */
  blocked: boolean
  lastRecordSeq: number
  lastBatchSeq: number
}
