import { afterEach, describe, expect, it } from 'vitest'
import type { StampedRecord } from '../../../core/record.ts'
import { aggregate } from '../../../node/chain/aggregate.ts'
import { chunkLists } from '../../../node/db/chunk-lists.ts'
import { chunkRecordsRoot, decodeChunk, encodeChunkOf } from '../../../node/db/codec.ts'
import { K } from '../../../node/db/keys.ts'
import type { SteleNode } from '../../../node/node.ts'
import { nodeFixture } from '../../helpers/node.ts'

type Fixture = Awaited<ReturnType<typeof nodeFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

const prefix = K.byDevice('dev-1')

async function storedChunks(node: SteleNode): Promise<[string, Uint8Array][]> {
  return node.db.iterator({ gte: prefix, lt: `${prefix}\uffff` }).all()
}

/** Every reading of dev-1 through pages of 7 (both orders), each by id, and a raw aggregate over all of them. */
async function answers(node: SteleNode, from: number, to: number) {
  const pages: string[] = []
  for (const order of ['asc', 'desc'] as const) {
    let cursor: string | undefined
    for (let guard = 0; guard < 100; guard++) {
      const page = await node.query.readings({ device: 'dev-1', order, limit: 7, cursor })
      pages.push(...page.items.map((r) => `${r.id}:${r.time}:${r.value}`))
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
  }
  const one = await node.query.reading(pages[3]!.split(':')[0]!)
  // Under a minute: answered from the raw readings of the chunks, not from rollups.
  const agg = await aggregate(node.db, node.state.maxChunkSpan, {
    device: 'dev-1',
    sensor: 'temp',
    from,
    to,
    everyMs: 60_000,
  })
  return { pages, one: `${one.id}:${one.time}:${one.value}`, agg: agg.buckets }
}

describe('a series chunk naming its batch record list', () => {
  it('stores no second copy, of a whole batch or of a device in a mixed one; pages, ids and raw aggregates read through it, and chunks of the former layout read the same', async () => {
    fx = await nodeFixture()
    const sent: StampedRecord[] = []
    const from = fx.gw.time + 1
    for (let i = 0; i < 6; i++) {
      const records =
        i === 2
          ? // Interleaved, so dev-1's leaves in the mixed batch are not a run.
            Array.from(
              { length: 30 },
              (_, j) => fx!.gw.records(1, j % 3 === 2 ? 'dev-2' : 'dev-1', 'temp')[0]!,
            )
          : fx.gw.records(40, 'dev-1', 'temp')
      sent.push(...records.filter((r) => r.device === 'dev-1'))
      const s = fx.gw.seal(records)
      await fx.node.submitBatches([{ tx: s.tx.bytes, records: s.records }])
    }
    const to = fx.gw.time

    // Five single-device batches name their list (68 bytes); the mixed one names it and dev-1's 20 leaf indexes.
    const stored = await storedChunks(fx.node)
    expect(stored.every(([, v]) => chunkRecordsRoot(v) !== undefined)).toBe(true)
    expect(stored.map(([, v]) => v.length)).toEqual([68, 68, 72 + 4 * 20, 68, 68, 68])

    const held = await answers(fx.node, from, to)
    expect(held.pages).toHaveLength(2 * sent.length)
    expect(held.pages.slice(0, sent.length).map((p) => Number(p.split(':')[1]))).toEqual(
      sent.map((r) => r.time),
    )
    const bucket = held.agg[0]!
    expect(held.agg).toHaveLength(1)
    expect(bucket.count).toBe(sent.length)
    expect(bucket.sum).toBeCloseTo(
      sent.reduce((a, r) => a + r.value, 0),
      9,
    )

    // Reopened: no chunk held in memory, pages come from the LevelDB iterator.
    let node = await fx.reopen()
    expect(await answers(node, from, to)).toEqual(held)

    // The former layout, as older nodes wrote it: the whole batch's records copied into the chunk.
    const lists = await chunkLists(
      node.db,
      stored.map(([, v]) => v),
    )
    for (let i = 0; i < stored.length; i++) {
      const [key, value] = stored[i]!
      if (!lists[i]) continue
      const c = decodeChunk(value, lists[i])
      await node.db.put(
        key,
        encodeChunkOf(c.txHash, c.leafIndexes, (j) => c.records[j]!),
      )
    }
    expect((await storedChunks(node)).some(([, v]) => chunkRecordsRoot(v) !== undefined)).toBe(false)
    await node.close()
    node = await fx.reopen()
    expect(await answers(node, from, to)).toEqual(held)
    await node.close()
  })
})
