/** An Announcer in memory, shared by the nodes of a test or bench network; expired records are not returned. */
import { toHex } from '../../core/bytes.ts'
import type { Timers } from '../../core/timers.ts'
import type { Announcer } from './announcer.ts'

export class MemoryDht {
  private readonly records = new Map<string, Map<string, { record: Uint8Array; expiry: number }>>()

  constructor(private readonly timers: Pick<Timers, 'now'>) {}

  /** The Announcer one node uses. */
  announcer(): Announcer {
    return {
      announce: async (key, record, expiry) => {
        const k = toHex(key)
        const m = this.records.get(k) ?? new Map()
        m.set(toHex(record), { record, expiry })
        this.records.set(k, m)
      },
      withdraw: async (key, record) => {
        this.records.get(toHex(key))?.delete(toHex(record))
      },
      lookup: async (key) => this.current(key),
    }
  }

  current(key: Uint8Array): Uint8Array[] {
    const now = this.timers.now()
    return [...(this.records.get(toHex(key))?.values() ?? [])]
      .filter((r) => r.expiry > now)
      .map((r) => r.record)
  }
}
