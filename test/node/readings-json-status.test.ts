import { afterEach, describe, expect, it } from 'vitest'
import { ChainQuery, type ReadingQuery } from '../../node/chain/query.ts'
import { nodeFixture } from '../helpers/node.ts'

type Fixture = Awaited<ReturnType<typeof nodeFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

const Q: ReadingQuery = { device: 'dev-1', limit: 100, order: 'asc' }

describe('readings pages as JSON text, with each reading JSON kept with its chunk', () => {
  it('serves a reading pending, then confirmed at its height, then final, as its status changes', async () => {
    fx = await nodeFixture()
    const { node, gw } = fx
    let finalHeight = -1
    // The node's own parts, with finality in the test's hands (a lone producer's chain has none).
    const query = new ChainQuery(
      {},
      {
        db: node.db,
        genesis: node.genesis,
        mempool: node.mempool,
        state: node.state,
        finalHeight: () => finalHeight,
      },
    )
    const page = async () => {
      const json = await query.readingsJson(Q)
      // The text is the object page, property for property and in the same order.
      expect(json).toBe(JSON.stringify(await query.readings(Q)))
      return (JSON.parse(json) as { items: { status: string; blockHeight: number | null }[] }).items
    }
    const s = gw.seal(gw.records(5, 'dev-1', 'temp'))
    await node.submitBatches([{ tx: s.tx.bytes, records: s.records }])

    const pending = await page()
    expect(pending).toHaveLength(5)
    expect(pending.every((r) => r.status === 'pending' && r.blockHeight === null)).toBe(true)
    // Served twice while pending: the second page is the kept JSON, and still says pending.
    expect(await page()).toEqual(pending)

    await node.producer.produce()
    const confirmed = await page()
    expect(confirmed.map((r) => [r.status, r.blockHeight])).toEqual(Array(5).fill(['confirmed', 1]))

    finalHeight = 1
    const final = await page()
    expect(final.map((r) => [r.status, r.blockHeight])).toEqual(Array(5).fill(['final', 1]))
  })
})
