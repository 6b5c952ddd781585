import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { StateDb } from '../../node/ledger/state-map.ts'

/**
 * The contract every StateDb keeps (the node's LevelDB and the in-memory one the chain replay uses): what the state
 * map relies on, so a root computed over one equals the root over the other.
 */
export function stateDbCompliance(
  name: string,
  open: () => Promise<{ db: StateDb; close: () => Promise<void> }>,
): void {
  describe(`StateDb compliance: ${name}`, () => {
    let db: StateDb
    let close: () => Promise<void>
    const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)

    beforeEach(async () => {
      ;({ db, close } = await open())
    })
    afterEach(async () => close())

    it('answers undefined for an absent key', async () => {
      expect(await db.get('sm:absent')).toBeUndefined()
    })

    it('applies puts and deletes of one batch, and returns the bytes put', async () => {
      await db.batch([
        { type: 'put', key: 'sm:a', value: bytes(1, 2, 3) },
        { type: 'put', key: 'sm:b', value: bytes(4) },
      ])
      await db.batch([
        { type: 'del', key: 'sm:a' },
        { type: 'put', key: 'sm:c', value: bytes() },
      ])
      expect(await db.get('sm:a')).toBeUndefined()
      expect([...((await db.get('sm:b')) ?? [])]).toEqual([4])
      expect([...((await db.get('sm:c')) ?? [9])]).toEqual([])
    })

    it('gets many keys in the order asked, with undefined for the absent ones', async () => {
      await db.batch([
        { type: 'put', key: 'sm:x', value: bytes(7) },
        { type: 'put', key: 'sm:z', value: bytes(9) },
      ])
      const got = await db.getMany(['sm:z', 'sm:y', 'sm:x'])
      expect(got.map((v) => (v ? [...v] : null))).toEqual([[9], null, [7]])
    })

    it('iterates a range in ascending key order with exclusive bounds', async () => {
      const keys = ['sm:n:03', 'sm:n:01', 'sm:n:02', 'sm:m', 'sm:o', 'sm:n:']
      await db.batch(keys.map((key, i) => ({ type: 'put' as const, key, value: bytes(i) })))
      const seen: string[] = []
      for await (const [k] of db.iterator({ gt: 'sm:n:', lt: 'sm:n:~' })) seen.push(k)
      expect(seen).toEqual(['sm:n:01', 'sm:n:02', 'sm:n:03'])
    })
  })
}
