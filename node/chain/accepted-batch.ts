import type { StampedRecord } from '../../core/record.ts'
import type { DeviceGroups } from './device-groups.ts'

/**
 * One accepted batch as ingest emits it (its 'records' event): reading i is `records[i]`, at leaf index i, with id
 * `id(i)`. One object a batch, not one a reading, and the ids' hex is made only when a listener asks for an id (a
 * node with no stream subscriber never does).
 */
export class AcceptedBatch {
  private hex: string | undefined

  constructor(
    readonly records: readonly StampedRecord[],
    /** Indexes of `records` by device. */
    readonly byDevice: DeviceGroups,
    /** The batch's leaf hashes back to back, 32 bytes each. */
    private readonly leaves: Buffer,
    readonly txHash: string,
    /** The signing gateway's key, hex (every record of the batch names it). */
    readonly gateway: string,
    /** Acceptance number of the batch (the `a:` index): live streams resume from it. */
    readonly acceptSeq: number,
  ) {}

  /** Reading i's id: hex of its leaf hash (the whole batch converted once, on first use). */
  id(i: number): string {
    this.hex ??= this.leaves.toString('hex')
    return this.hex.slice(i * 64, i * 64 + 64)
  }
}
