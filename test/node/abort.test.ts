import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SteleError } from '../../core/errors.ts'
import { parseSubscription } from '../../node/stream/filter.ts'
import { replayBlocks, replayReadings } from '../../node/stream/history.ts'
import { nodeFixture } from '../helpers/node.ts'

// Queries and stream replays take an AbortSignal: a long scan stops when its caller goes away.

let fx: Awaited<ReturnType<typeof nodeFixture>>
beforeAll(async () => {
  fx = await nodeFixture()
  for (let i = 0; i < 10; i++) {
    await fx.node.submitBatches([fx.gw.next(5, 'dev-1', 'temp')])
    await fx.node.producer.produce()
  }
})
afterAll(() => fx.close())

const reason = new SteleError('STELE_UNAVAILABLE', 'the client went away')
const aborted = () => {
  const ac = new AbortController()
  ac.abort(reason)
  return ac.signal
}

describe('abort', () => {
  it('a readings query, a reading and a proof reject with the signal reason', async () => {
    const q = { device: 'dev-1', limit: 10, order: 'asc' as const }
    const page = await fx.node.query.readings(q)
    expect(page.items).toHaveLength(10)
    const signal = aborted()
    await expect(fx.node.query.readings(q, { signal })).rejects.toBe(reason)
    await expect(fx.node.query.reading(page.items[0]!.id, { signal })).rejects.toBe(reason)
    await expect(fx.node.query.proof(page.items[0]!.id, { signal })).rejects.toBe(reason)
  })

  it('a replay stops at the next batch once its signal aborts, even when nothing it reads matches', async () => {
    const ac = new AbortController()
    let trips = 0
    const src = {
      db: fx.node.db,
      query: {
        storedTx: (h: string) => fx.node.query.storedTx(h),
        storedBlock: (n: number) => fx.node.query.storedBlock(n),
        txHeight: (h: string) => {
          if (++trips === 3) ac.abort(reason)
          return fx.node.query.txHeight(h)
        },
      },
    }
    // A device that never reported: no frame is written, so only the signal can end the scan early.
    const sub = parseSubscription({ channels: 'readings', device: 'dev-none' })
    const from = { seq: 0, index: 0, height: 0 }
    const to = fx.node.stream.live()
    expect(to.seq).toBe(10)
    const frames: Buffer[] = []
    const write = async (f: Buffer) => frames.push(f) > 0
    await expect(
      replayReadings(src, { sub, kind: 'ws', from, to, write, maxFrameBytes: 1 << 20, signal: ac.signal }),
    ).rejects.toBe(reason)
    expect(trips).toBe(3)
    expect(frames).toHaveLength(0)
    const blocks = parseSubscription({ channels: 'blocks' })
    await expect(
      replayBlocks(src, {
        sub: blocks,
        kind: 'ws',
        from,
        to,
        write,
        maxFrameBytes: 1 << 20,
        signal: aborted(),
      }),
    ).rejects.toBe(reason)
    expect(frames).toHaveLength(0)
  })
})
