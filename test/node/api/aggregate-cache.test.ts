import { afterEach, describe, expect, it, vi } from 'vitest'
import { K } from '../../../node/db/keys.ts'
import { appFixture } from '../../helpers/node.ts'

let fx: Awaited<ReturnType<typeof appFixture>> | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

const URL = '/v1/devices/dev-1/aggregate?sensor=temp&every=1h&fn=count,max'

describe('aggregate answers kept between requests', () => {
  it('serves a repeated query without storage and answers anew once a batch of the device lands', async () => {
    fx = await appFixture()
    const f = fx
    await f.node.submitBatches([f.gw.next(10, 'dev-1', 'temp')])
    const first = await f.get(URL)
    expect(first.body.items.map((b: { count: number }) => b.count)).toEqual([10])

    // Reads of dev-1's hourly rollups (the node's own background reads are not counted).
    const spy = vi.spyOn(f.node.db, 'iterator')
    const hourly = K.rollup('dev-1', 'temp', 'h')
    const reads = () => spy.mock.calls.filter(([o]) => String(o?.gte ?? '').startsWith(hourly)).length
    expect(await f.get(URL)).toEqual(first)
    expect(reads()).toBe(0)

    // Another device's batch leaves dev-1's answer as it is.
    await f.node.submitBatches([f.gw.next(5, 'dev-2', 'temp')])
    expect(await f.get(URL)).toEqual(first)
    expect(reads()).toBe(0)

    // dev-1's own batch: the answer is computed again and counts it.
    await f.node.submitBatches([f.gw.next(7, 'dev-1', 'temp')])
    const after = await f.get(URL)
    expect(after.body.items.map((b: { count: number }) => b.count)).toEqual([17])
    expect(reads()).toBe(1)
  })

  it('answers each query for its own range and functions', async () => {
    fx = await appFixture()
    const f = fx
    await f.node.submitBatches([f.gw.next(10, 'dev-1', 'temp')])
    const all = await f.get(URL)
    const t = all.body.items[0].start as number
    const none = await f.get(`${URL}&from=${t - 3_600_000}&to=${t - 1}`)
    expect(none.body.items).toEqual([])
    const other = await f.get('/v1/devices/dev-1/aggregate?sensor=temp&every=1h&fn=min')
    expect(Object.keys(other.body.items[0]).sort()).toEqual(['min', 'start', 'startIso'])
    expect((await f.get(URL)).body).toEqual(all.body)
  })
})
