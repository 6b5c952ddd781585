/** A batch's record indexes by device, in order of each device's first record (and in record order within it). */
export type DeviceGroups = ReadonlyMap<string, readonly number[]>

/**
 * Groups records by device once a batch, for every per-device step of accepting it (series chunks, presence, stream
 * summaries): one map lookup per run of a device's records, not one per record in each step. Device ids are
 * interned by the decoder, so a run is told by identity.
 */
export function groupByDevice(records: readonly { device: string }[]): Map<string, number[]> {
  const groups = new Map<string, number[]>()
  let device: string | undefined
  let group: number[] = []
  for (let i = 0; i < records.length; i++) {
    const d = records[i]!.device
    if (d !== device) {
      device = d
      const g = groups.get(d)
      if (g) group = g
      else {
        group = []
        groups.set(d, group)
      }
    }
    group.push(i)
  }
  return groups
}
