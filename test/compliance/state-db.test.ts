import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import { STATE_NS, stateKey } from '../../core/state-map.ts'
import { openDb } from '../../node/db/db.ts'
import { memoryStateDb } from '../../node/ledger/memory-state-db.ts'
import { type StateChange, StateMap } from '../../node/ledger/state-map.ts'
import { tempDir } from '../helpers/tmp.ts'
import { stateDbCompliance } from './state-db.ts'

async function levelStateDb() {
  const dir = await tempDir('stele-statedb-')
  const db = await openDb(dir.path)
  return {
    db,
    close: async () => {
      await db.close()
      await dir.cleanup()
    },
  }
}

stateDbCompliance('LevelDB (the node database)', levelStateDb)
stateDbCompliance('memory (chain replay)', async () => ({ db: memoryStateDb(), close: async () => {} }))

describe('a state map over either StateDb', () => {
  it('commits to the same root after the same changes, block after block', async () => {
    const id = fc.uint8Array({ minLength: 2, maxLength: 2 })
    const change = fc.record({
      id,
      value: fc.option(fc.uint8Array({ minLength: 1, maxLength: 8 }), { nil: null }),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(change, { maxLength: 12 }), { minLength: 1, maxLength: 6 }),
        async (blocks) => {
          const level = await levelStateDb()
          const memory = memoryStateDb()
          try {
            const maps = [
              { db: level.db, map: await new StateMap(level.db).open() },
              { db: memory, map: await new StateMap(memory).open() },
            ]
            for (const block of blocks) {
              const changes: StateChange[] = block.map((c) => ({
                key: stateKey(STATE_NS.ACCOUNT, c.id),
                value: c.value,
              }))
              for (const { db, map } of maps) {
                const staged = await map.stage(changes)
                await db.batch(staged.ops)
                map.committed(staged)
              }
              expect(toHex(maps[0]!.map.root)).toBe(toHex(maps[1]!.map.root))
            }
          } finally {
            await level.close()
          }
        },
      ),
      { seed: 0x57a7e, numRuns: 15 },
    )
  })
})
