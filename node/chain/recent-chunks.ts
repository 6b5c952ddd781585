/**
 * Keys of each device's most recently written series chunks, in key order, so that a page of recent readings needs
 * no LevelDB iterator (an iterator costs two trips to the LevelDB thread before its first entry).
 *
 * A device's list holds every chunk key above its `floor` that exists: keys are noted after their write landed, and
 * the floor is the highest key on disk the list may be missing (chunks written before the node opened, keys trimmed
 * off the bottom). The floor is found once per device by the first query that needs it; until then the device is
 * served by the iterator. A floor too high only sends more of a query to the iterator, so every change raises it.
 */
export interface DeviceChunkKeys {
  /** Keys in ascending order. */
  keys: string[]
  /** Highest key on disk before the list began that is not listed; '' when none; undefined until a query found it. */
  floor: string | undefined
  /** Highest key trimmed off the list's bottom; '' when none. */
  trimmed: string
  /** Changes with every chunk of the device noted (see `RecentChunkKeys.version`). */
  version: number
}

/** Every chunk key of the device above this is listed; undefined while the floor is unknown. */
export function coveredAbove(d: DeviceChunkKeys): string | undefined {
  if (d.floor === undefined) return undefined
  // biome-ignore lint/complexity/useMathMinMax: string comparison
  return d.floor > d.trimmed ? d.floor : d.trimmed
}

export class RecentChunkKeys {
  // Map order is least recently written device first: the whole of that device goes when over the total.
  private readonly devices = new Map<string, DeviceChunkKeys>()
  private total = 0
  private notes = 0
  private dropped = 0

  constructor(
    private readonly perDevice = 1024,
    private readonly maxTotal = 65_536,
  ) {}

  /** After the write holding `key` landed. */
  note(device: string, key: string): void {
    let d = this.devices.get(device)
    if (d) this.devices.delete(device)
    else d = { keys: [], floor: undefined, trimmed: '', version: 0 }
    this.devices.set(device, d)
    d.version = ++this.notes
    const keys = d.keys
    // Nearly always the newest key; a gateway catching up from its outbox writes older ones.
    if (keys.length === 0 || keys[keys.length - 1]! < key) keys.push(key)
    else {
      let lo = 0
      let hi = keys.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (keys[mid]! < key) lo = mid + 1
        else hi = mid
      }
      if (keys[lo] === key) return
      keys.splice(lo, 0, key)
    }
    this.total++
    if (keys.length > this.perDevice) {
      const dropped = keys.shift()!
      this.total--
      if (dropped > d.trimmed) d.trimmed = dropped
    }
    while (this.total > this.maxTotal) {
      const [oldest, od] = this.devices.entries().next().value as [string, DeviceChunkKeys]
      this.devices.delete(oldest)
      this.total -= od.keys.length
      this.dropped++
    }
  }

  /**
   * What the device's stored readings are as of: it changes whenever a chunk of the device lands (every reading and
   * rollup write of a device writes one of its chunks), so an answer computed from storage can be kept under the
   * version read before computing it. A device not held (none written since open, or dropped) has a version shared
   * by all such devices that changes when any device is dropped.
   */
  version(device: string): number {
    return this.devices.get(device)?.version ?? -1 - this.dropped
  }

  get(device: string): DeviceChunkKeys | undefined {
    return this.devices.get(device)
  }

  /** Sets the floor a query found, if the device's list is still the one it looked at. */
  setFloor(device: string, d: DeviceChunkKeys, floor: string): void {
    if (this.devices.get(device) === d) d.floor = floor
  }
}
