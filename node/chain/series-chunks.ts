import type { StampedRecord } from '../../core/record.ts'
import { encodeBatchChunk, encodeChunkOf } from '../db/codec.ts'
import type { PutSink } from '../db/db.ts'
import { K } from '../db/keys.ts'
import type { DeviceGroups } from './device-groups.ts'
import type { ChainState } from './state.ts'

/**
 * One chunk per device of this batch holding its records in seq order (sensor queries filter it); a device that has
 * the whole batch gets a chunk naming the batch's record list (`o:`, in the same write) instead of a second copy. Widens the state's longest
 * chunk span, which range queries use to start early enough. Each (device, key) written is pushed to `keys`, for the
 * caller to note once the write landed.
 */
export function indexChunks(
  state: ChainState,
  sink: PutSink,
  txHash: Uint8Array,
  recordsRoot: Uint8Array,
  gwHex: string,
  records: StampedRecord[],
  bytes: Uint8Array[],
  groups: DeviceGroups,
  keys: [device: string, key: string][],
): void {
  for (const [device, idx] of groups) {
    const first = records[idx[0]!]!
    const span = records[idx[idx.length - 1]!]!.time - first.time
    if (span > state.maxChunkSpan) state.maxChunkSpan = span
    const key = K.byDevice(device) + K.suffix(first.time, gwHex, first.seq)
    sink.put(
      key,
      idx.length === records.length
        ? encodeBatchChunk(txHash, recordsRoot)
        : encodeChunkOf(txHash, idx, (j) => bytes[idx[j]!]!),
    )
    keys.push([device, key])
  }
}
