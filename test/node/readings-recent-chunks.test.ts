import { afterEach, describe, expect, it, vi } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import type { ReadingQuery } from '../../node/chain/query.ts'
import { coveredAbove, RecentChunkKeys } from '../../node/chain/recent-chunks.ts'
import type { SteleNode } from '../../node/node.ts'
import { BatchMaker } from '../helpers/batches.ts'
import { nodeFixture } from '../helpers/node.ts'

type Fixture = Awaited<ReturnType<typeof nodeFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

/** A batch mixing two sensors of dev-1 and one of dev-2, as a gateway serving several devices seals them. */
function mixed(gw: BatchMaker) {
  const s = gw.seal([
    ...gw.records(3, 'dev-1', 'temp'),
    ...gw.records(2, 'dev-1', 'hum'),
    ...gw.records(2, 'dev-2', 'temp'),
  ])
  return { tx: s.tx.bytes, records: s.records }
}

const T = 1_700_000_000_000
const QUERIES: Omit<ReadingQuery, 'cursor'>[] = []
for (const order of ['asc', 'desc'] as const)
  for (const limit of [1, 4, 25])
    for (const sensor of [undefined, 'hum'])
      for (const [from, to] of [
        [undefined, undefined],
        [T + 300, undefined],
        [undefined, T + 500],
        [T + 200, T + 1500],
      ] as const)
        QUERIES.push({ device: 'dev-1', order, limit, sensor, from, to })

/** Every query followed through all its cursors, as ids, and the same through the JSON page. */
async function answers(node: SteleNode): Promise<string[][]> {
  const out: string[][] = []
  for (const q of QUERIES) {
    const ids: string[] = []
    let cursor: string | undefined
    for (let guard = 0; guard < 200; guard++) {
      const page = await node.query.readings({ ...q, cursor })
      const json = JSON.parse(await node.query.readingsJson({ ...q, cursor }))
      expect(json).toEqual(page)
      ids.push(...page.items.map((r) => `${r.id}:${r.time}:${r.sensor}`))
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
    out.push(ids)
  }
  return out
}

describe('readings pages from the recent chunk keys held in memory', () => {
  it('answers every query as the LevelDB iterator does, before and after a restart, with late older batches', async () => {
    fx = await nodeFixture()
    // A second gateway whose clock is behind: its chunks sort below the first gateway's.
    const late = new BatchMaker(fx.node.genesis.chainId, { startTime: T })
    await fx.node.registerGateway(toHex(late.key.publicKey), 'late')
    fx.gw.time = T + 600
    for (let i = 0; i < 12; i++) await fx.node.submitBatches([mixed(fx.gw)])
    const fromMemory = await answers(fx.node)
    expect(fromMemory.flat().length).toBeGreaterThan(100)

    // Reopened: nothing held in memory, every page comes from the iterator.
    let node = await fx.reopen()
    expect(await answers(node)).toEqual(fromMemory)

    // New chunks after the restart (held) above and below the old ones (the late gateway): the held list covers only
    // what is above the newest chunk on disk it lacks, the iterator the rest.
    for (let i = 0; i < 4; i++) await node.submitBatches([mixed(fx.gw)])
    for (let i = 0; i < 4; i++) await node.submitBatches([mixed(late)])
    const mixedSources = await answers(node)
    node = await (async () => {
      await node.close()
      return fx!.reopen()
    })()
    expect(await answers(node)).toEqual(mixedSources)
    await node.close()
  })

  it('serves a page of recent readings without opening an iterator', async () => {
    fx = await nodeFixture()
    for (let i = 0; i < 6; i++) await fx.node.submitBatches([mixed(fx.gw)])
    // The first page finds where the held keys' cover ends (a keys iterator, once per device).
    await fx.node.query.readings({ device: 'dev-1', limit: 10, order: 'desc' })
    const iterator = vi.spyOn(fx.node.db, 'iterator')
    const keys = vi.spyOn(fx.node.db, 'keys')
    const page = await fx.node.query.readings({ device: 'dev-1', limit: 10, order: 'desc' })
    expect(page.items).toHaveLength(10)
    expect(iterator).not.toHaveBeenCalled()
    expect(keys).not.toHaveBeenCalled()
  })
})

describe('RecentChunkKeys', () => {
  it('keeps keys in order, raises the cover when trimming, and drops the least recently written device', () => {
    const r = new RecentChunkKeys(3, 5)
    for (const k of ['b', 'd', 'a', 'c', 'c']) r.note('x', k)
    const x = r.get('x')!
    expect(x.keys).toEqual(['b', 'c', 'd'])
    expect(coveredAbove(x)).toBeUndefined()
    r.setFloor('x', x, '')
    expect(coveredAbove(x)).toBe('a')
    for (const k of ['e', 'f', 'g']) r.note('y', k)
    expect(r.get('x')).toBeUndefined()
    expect(r.get('y')!.keys).toEqual(['e', 'f', 'g'])
  })
})
