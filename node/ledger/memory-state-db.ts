import type { DbOp } from '../db/db.ts'
import type { StateDb } from './state-map.ts'

/**
 * A StateDb in memory: the replay of a chain from genesis (node start, `verifyChain`) builds a second state map here
 * and compares its root with every block's, without writing to the node's database.
 */
export function memoryStateDb(): StateDb {
  const m = new Map<string, Uint8Array>()
  const db = {
    async get(key: string): Promise<Uint8Array | undefined> {
      return m.get(key)
    },
    async getMany(keys: string[]): Promise<(Uint8Array | undefined)[]> {
      return keys.map((k) => m.get(k))
    },
    async batch(ops: DbOp[]): Promise<void> {
      for (const op of ops) {
        if (op.type === 'put') m.set(op.key, op.value)
        else m.delete(op.key)
      }
    },
    iterator(range: { gt: string; lt: string }) {
      const entries = [...m]
        .filter(([k]) => k > range.gt && k < range.lt)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return (async function* () {
        yield* entries
      })()
    },
  }
  return db as unknown as StateDb
}
