import type { StampedRecord } from '../../core/record.ts'
import { encodeBatchChunk, encodeSomeOfBatchChunk } from '../db/codec.ts'
import type { PutSink } from '../db/db.ts'
import { K } from '../db/keys.ts'
import type { DeviceGroups } from './device-groups.ts'
import type { ChainState } from './state.ts'

/**
 * One chunk per device of this batch naming its records in seq order (sensor queries filter it): the batch's record
 * list (`o:`, in the same write) and, when the batch mixes devices, the leaf indexes of the device's records in it,
 * so each record is stored once (a second copy doubled what LevelDB writes and compacts at 1 reading a message).
 * Widens the state's longest chunk span, which range queries use to start early enough. Each (device, key) written is
 * pushed to `keys`, for the caller to note once the write landed.
 */
export function indexChunks(
  state: ChainState,
  sink: PutSink,
  txHash: Uint8Array,
  recordsRoot: Uint8Array,
  gwHex: string,
  records: StampedRecord[],
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
        : encodeSomeOfBatchChunk(txHash, recordsRoot, idx),
    )
    keys.push([device, key])
  }
}
