import type { StampedRecord } from '../../core/record.ts'
import { encodeChunkOf } from '../db/codec.ts'
import type { PutSink } from '../db/db.ts'
import { K } from '../db/keys.ts'
import type { ChainState } from './state.ts'

/**
 * One chunk per device of this batch holding its records in seq order (sensor queries filter it). Records come in
 * runs of one device (the decoder interns its id), so each key is built once per run. Widens the state's longest
 * chunk span, which range queries use to start early enough. Each (device, key) written is pushed to `keys`, for the
 * caller to note once the write landed.
 */
export function indexChunks(
  state: ChainState,
  sink: PutSink,
  txHash: Uint8Array,
  gwHex: string,
  records: StampedRecord[],
  bytes: Uint8Array[],
  keys: [device: string, key: string][],
): void {
  const groups = new Map<string, number[]>()
  let device: string | undefined
  let group: number[] = []
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    if (r.device !== device) {
      device = r.device
      const g = groups.get(device)
      if (g) group = g
      else {
        group = []
        groups.set(device, group)
      }
    }
    group.push(i)
  }
  for (const [device, idx] of groups) {
    const first = records[idx[0]!]!
    const span = records[idx[idx.length - 1]!]!.time - first.time
    if (span > state.maxChunkSpan) state.maxChunkSpan = span
    const key = K.byDevice(device) + K.suffix(first.time, gwHex, first.seq)
    sink.put(
      key,
      encodeChunkOf(txHash, idx, (j) => bytes[idx[j]!]!),
    )
    keys.push([device, key])
  }
}
